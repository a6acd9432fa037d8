import { randomBytes } from 'node:crypto';
import { chatActor } from '../../src/domain/actor.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { environments } from '../../src/db/schema/environments.js';
import { silentLogger } from '../../src/log.js';
import { jobIds } from '../../src/queue/jobs.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventCounts, simulatedTools, waitForState } from '../support/labs.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { eventually, FAST_SETTINGS, FAST_RETRIES, USERS } from '../support/services.js';

/**
 * Redis killed and started again empty (no persistence) under the whole app in worker mode: deploys in flight,
 * reminders and expiries pending. The workers reconnect, the reconciler (the app's own schedule) rebuilds what was
 * lost from Postgres, and every lab finishes once.
 */
let redis: PrivateRedis;
let database: TestDatabase;
let app: App;
const notifier = new RecordingNotifier('slack');

beforeAll(async () => {
  redis = await startPrivateRedis();
  database = await createTestDatabase();
  const config = loadConfig({
    ...FAST_SETTINGS,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `t${randomBytes(5).toString('hex')}`,
    RECONCILE_INTERVAL: '1s',
    REMINDER_OFFSETS: '3s',
    LOCAL_PROVISIONER_STEP_MS: '400',
    SHUTDOWN_TIMEOUT: '2s',
  });
  app = await startApp({ config, log: silentLogger, databaseUrl: database.url, mode: 'worker', notifiers: [notifier], retries: FAST_RETRIES });
});
afterAll(async () => {
  await app?.stop();
  await database?.drop();
  await redis?.stop();
});

const TOOLS = ['code-server', 'portainer', 'uptime-kuma'];

describe('Redis killed and restarted empty while labs deploy and timers are pending', () => {
  it('workers reconnect, the reconciler restores the timers, and every lab finishes exactly once', async () => {
    const s = app.services;
    const request = (requester: (typeof USERS)[keyof typeof USERS], ttlSeconds: number, requestId: string) =>
      requestEnvironment(s, { actor: chatActor(requester), channelId: 'C1', presetId: 'quick-sandbox', ttlSeconds, requestId });

    // A runs with a reminder (3 s before expiry) and an expiry still ahead.
    const timed = await request(USERS.alice, 8, 'r-timed');
    const timedRunning = await waitForState(s, timed.id, 'running');
    // A running lab keeps one timer in the queue, its next: here the reminder, which adds the expiry when it runs.
    await eventually(async () => ((await s.jobs.has('remind', jobIds.remind(timed.id, 3, timedRunning.expiresAt!))) ? true : undefined), 5000, 'the reminder timer');
    // B and C are mid-deploy: some of their tools exist, not all.
    const deploying = [await request(USERS.bob, 3600, 'r-b'), await request(USERS.approver, 3600, 'r-c')];
    for (const lab of deploying) {
      await eventually(async () => ((await simulatedTools(s, lab.id)).length >= 1 ? true : undefined), 10_000, `${lab.id} mid-deploy`);
    }
    expect(timedRunning.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 4000);

    await redis.restart();

    for (const lab of deploying) {
      const running = await waitForState(s, lab.id, 'running');
      expect(await simulatedTools(s, lab.id)).toEqual(TOOLS);
      expect(await eventCounts(s, lab.id)).toEqual({ 'plan.created': 1, 'plan.approved': 1, 'deployment.started': 1, 'deployment.completed': 1 });
      // Their next timer (the reminder) exists in the new Redis.
      await eventually(async () => ((await s.jobs.has('remind', jobIds.remind(lab.id, 3, running.expiresAt!))) ? true : undefined), 5000, `${lab.id} reminder timer`);
    }

    // A's reminder and expiry were lost with Redis; the reconciler brought them back and each fired once.
    await waitForState(s, timed.id, 'destroyed', 20_000);
    expect(await eventCounts(s, timed.id)).toEqual({
      'plan.created': 1,
      'plan.approved': 1,
      'deployment.started': 1,
      'deployment.completed': 1,
      'ttl.reminder_sent': 1,
      'ttl.expired': 1,
      'destroy.initiated': 1,
      'destroy.completed': 1,
    });
    expect(await simulatedTools(s, timed.id)).toEqual([]);
  });

  it('after a FLUSHALL with no reconnect, the schedules come back by themselves and the reconciler restores the next timer of each lab', async () => {
    const s = app.services;
    const running = await s.db.select().from(environments).where(eq(environments.state, 'running'));
    expect(running).toHaveLength(2);
    await redis.flushAll();
    expect(await s.jobs.has('remind', jobIds.remind(running[0]!.id, 3, running[0]!.expiresAt!))).toBe(false);
    // Nobody calls the reconciler here: the workers notice the missing schedule within RECONCILE_INTERVAL. Each lab gets
    // its next timer back, the reminder; the expiry waits for the reminder to add it.
    for (const lab of running) {
      await eventually(async () => ((await s.jobs.has('remind', jobIds.remind(lab.id, 3, lab.expiresAt!))) ? true : undefined), 10_000, `${lab.id} reminder timer`);
      expect(await s.jobs.has('expire', jobIds.expire(lab.id, lab.expiresAt!))).toBe(false);
    }
  });
});
