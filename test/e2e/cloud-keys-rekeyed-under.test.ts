import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { chatActor } from '../../src/domain/actor.js';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { rekeyCloudKeys } from '../../workflows/cloud-key-vault.js';
import { addCloudKey } from '../../workflows/cloud-keys.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { requestEnvironment } from '../../workflows/request.js';
import { newCredentialsKey, newPair } from '../support/cloud-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventCounts, waitForState } from '../support/labs.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { attachServices, deleteKeys, USERS } from '../support/services.js';

/**
 * The real entry point in worker mode, left running while `rekey` re-keys the stored cloud keys under it: the first
 * lab it must open a key for makes it log one line and exit 1 after a graceful stop; the lab waits in the queue for a
 * worker with the new key.
 */
const oldKey = newCredentialsKey();
const newKey = newCredentialsKey();
const prefix = uniquePrefix('rekeyed-under');
let database: TestDatabase;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const close of closers) await close();
  await deleteKeys(prefix);
  await database?.drop();
});

describe('a worker process re-keyed under', { timeout: 120_000 }, () => {
  it('logs one line, exits 1 after a graceful stop, and leaves the lab to a worker with the new key', async () => {
    const stale = await attachServices(database, prefix, { settings: { CREDENTIALS_KEY: oldKey } });
    closers.push(stale.close);
    await addCloudKey(stale.s, { actor: chatActor(USERS.admin), key: { name: 'main', provider: 'aws', region: 'eu-west-1', ...newPair() }, requestId: 'seed' });

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        CREDENTIALS_KEY: oldKey,
        SHUTDOWN_TIMEOUT: '2s',
        PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"msg":"aithroyz chatops started"')) resolve();
      });
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await started;

    await rekeyCloudKeys(database.db, systemClock, { CREDENTIALS_KEY_OLD: oldKey, CREDENTIALS_KEY: newKey });
    const lab = await requestEnvironment(stale.s, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'quick-sandbox', ttlSeconds: 3600, requestId: 'r-lab' });

    const [code] = await exited;
    expect(code).toBe(1);
    const messages = output.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.filter((msg) => msg.includes('CREDENTIALS_KEY'))).toEqual([
      "This bot's CREDENTIALS_KEY is wrong: CREDENTIALS_KEY is not the key the stored cloud keys were sealed with. Stopping: running jobs go back to the queue for a process with the right key.",
    ]);
    expect(messages).toContain('aithroyz chatops stopped');
    expect(output).not.toContain(oldKey);
    expect(output).not.toContain(newKey);
    const waiting = await getEnvironment(stale.s, lab.id);
    expect(['approved', 'deploying']).toContain(waiting.state);
    expect(waiting.failureReason).toBeNull();

    const right = await attachServices(database, prefix, { settings: { CREDENTIALS_KEY: newKey } });
    closers.push(right.close);
    await right.startWorkers();
    await waitForState(right.s, lab.id, 'running');
    expect(await eventCounts(right.s, lab.id)).toMatchObject({ 'deployment.started': 1, 'deployment.completed': 1 });
  });
});
