import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import { startApp, type App } from '../../src/app.js';
import { cloudKeys } from '../../src/db/schema/cloud-keys.js';
import type { AppError } from '../../src/errors.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { chatActor } from '../../src/domain/actor.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { rekeyCloudKeys } from '../../workflows/cloud-key-vault.js';
import { addCloudKey } from '../../workflows/cloud-keys.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { requestEnvironment } from '../../workflows/request.js';
import { capturingLogger, newCredentialsKey, newPair } from '../support/cloud-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { dialogInvocation } from '../support/invocations.js';
import { eventCounts, waitForState } from '../support/labs.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { buildServices, deleteKeys, FAST_RETRIES, FAST_SETTINGS, USERS } from '../support/services.js';
import { RecordingJobQueue } from '../support/command-kit.js';

/**
 * A worker already running when the stored cloud keys are re-keyed under it (`npm run rekey`): the first lab it must
 * open a key for makes it say so in one line and stop as SIGTERM stops it, handing the job back; the lab is not
 * failed, and a worker with the new key deploys it.
 */
const oldKey = newCredentialsKey();
const newKey = newCredentialsKey();
const prefix = `t${randomBytes(5).toString('hex')}`;
let database: TestDatabase;
const apps: App[] = [];

function configWith(credentialsKey: string) {
  return loadConfig({ ...FAST_SETTINGS, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, CREDENTIALS_KEY: credentialsKey, SHUTDOWN_TIMEOUT: '2s', LOG_LEVEL: 'info' });
}

async function startWorker(credentialsKey: string, log = capturingLogger('info').log): Promise<App> {
  const app = await startApp({ config: configWith(credentialsKey), log, databaseUrl: database.url, mode: 'worker', notifiers: [new RecordingNotifier('slack')], retries: FAST_RETRIES });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await deleteKeys(prefix);
  await database?.drop();
});

describe('a running worker whose CREDENTIALS_KEY no longer opens the stored keys', { timeout: 60_000 }, () => {
  it('logs one line, stops gracefully with the lab handed back, and a worker with the new key deploys it', async () => {
    const captured = capturingLogger('info');
    const stale = await startWorker(oldKey, captured.log);
    await addCloudKey(stale.services, { actor: chatActor(USERS.admin), key: { name: 'main', provider: 'aws', region: 'eu-west-1', ...newPair() }, requestId: 'seed' });

    await rekeyCloudKeys(database.db, systemClock, { CREDENTIALS_KEY_OLD: oldKey, CREDENTIALS_KEY: newKey });
    const lab = await requestEnvironment(stale.services, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'quick-sandbox', ttlSeconds: 3600, requestId: 'r-lab' });
    expect(lab.cloudKeyId).not.toBeNull();

    await stale.stoppedByItself;
    const lines = captured.lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    const wrong = lines.filter((line) => line.msg.includes('CREDENTIALS_KEY is wrong'));
    expect(wrong.map((line) => line.msg)).toEqual([
      "This bot's CREDENTIALS_KEY is wrong: CREDENTIALS_KEY is not the key the stored cloud keys were sealed with. Stopping: running jobs go back to the queue for a process with the right key.",
    ]);
    expect(lines.some((line) => line.msg === 'worker stopping: job handed back to the queue')).toBe(true);
    expect(lines.some((line) => line.msg === 'aithroyz chatops stopped')).toBe(true);
    expect(captured.lines.join('\n')).not.toContain(oldKey);
    expect(captured.lines.join('\n')).not.toContain(newKey);
    const handedBack = await getEnvironment({ db: database.db }, lab.id);
    expect(['approved', 'deploying']).toContain(handedBack.state);
    expect(handedBack.failureReason).toBeNull();

    const right = await startWorker(newKey);
    await waitForState(right.services, lab.id, 'running');
    expect(await eventCounts(right.services, lab.id)).toMatchObject({ 'deployment.completed': 1 });
    expect(await eventCounts(right.services, lab.id)).not.toHaveProperty('deployment.failed');
  });

  it('answers a key stored through chat with "the bot\'s key is wrong", stores nothing, and tells the entry point to stop', async () => {
    const s = await buildServices({ db: database.db, settings: { CREDENTIALS_KEY: oldKey }, jobs: new RecordingJobQueue() });
    const mustStop: AppError[] = [];
    s.processMustStop = (error) => mustStop.push(error);
    const before = await database.db.select().from(cloudKeys);
    const pair = newPair();
    const reply = await handleInvocation(s, dialogInvocation(USERS.admin, 'cloudKeyAdd', 'new', { name: 'second', provider: 'aws', region: 'eu-west-1', ...pair }));
    expect(reply.outcome).toBe('invalid');
    expect(reply.view.text).toContain("This bot's CREDENTIALS_KEY is wrong: CREDENTIALS_KEY is not the key the stored cloud keys were sealed with.");
    expect(JSON.stringify(reply)).not.toContain(pair.secretAccessKey);
    expect(mustStop.map((error) => error.code)).toEqual(['credentials_key_wrong']);
    expect(await database.db.select().from(cloudKeys)).toEqual(before);
  });
});
