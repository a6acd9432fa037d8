import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { createTestDatabase, TEST_POSTGRES_URL } from '../support/database.js';

/** Runs the real entry point and collects what it prints and how it exits. */
function runMain(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('start-up refusals', () => {
  it('stops with one line naming the fix when Redis is unreachable', async () => {
    const { code, stderr } = await runMain(['start'], { DATABASE_URL: TEST_POSTGRES_URL, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Redis is not reachable at redis:\/\/127\.0\.0\.1:1 .*start redis-server or set REDIS_URL/);
  });

  it('stops naming each bad variable', async () => {
    const { code, stderr } = await runMain(['start'], { MIN_TTL: 'soon', PORT: 'eighty', SLACK_BOT_TOKEN: 'xoxb-secret-value' });
    expect(code).toBe(1);
    expect(stderr).toContain('MIN_TTL');
    expect(stderr).toContain('PORT');
    expect(stderr).not.toContain('xoxb-secret-value');
  });

  it('refuses an unknown command with the usage', async () => {
    const { code, stderr } = await runMain(['serve'], {});
    expect(code).toBe(1);
    expect(stderr).toContain('usage: node dist/src/main.js <start|web|worker|migrate|rekey|demo>');
  });

  it('stops naming the catalog file and the problem when the presets catalog is invalid', async () => {
    const { code, stderr } = await runMain(['start'], { DATABASE_URL: TEST_POSTGRES_URL, PRESETS_FILE: '/nonexistent/presets.json' });
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot read the presets catalog /nonexistent/presets.json');
  });

  it('prints the Postgres error code and message of a failed migration, not only the statement', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      // A table in the way of the first migration.
      await database.pool.query('create table environments (id text)');
      const { code, stderr } = await runMain(['migrate'], { DATABASE_URL: database.url });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^aithroyz chatops failed to start: Failed query: CREATE TABLE "environments" \(.*… \(Postgres error 42P07: relation "environments" already exists\)$/),
      ]);
    } finally {
      await database.drop();
    }
  });

  it('names the Postgres error of a refused connection, without the password of the connection string', async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.password = 'hunter2-secret';
    url.pathname = '/aitz_no_such_database';
    const { code, stderr } = await runMain(['web'], { DATABASE_URL: url.toString() });
    expect(code).toBe(1);
    expect(stderr).toBe('aithroyz chatops failed to start: Postgres error 3D000: database "aitz_no_such_database" does not exist\n');
    expect(stderr).not.toContain('hunter2-secret');
  });
});
