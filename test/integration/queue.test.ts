import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { JOB_NAMES, jobIds } from '../../src/queue/jobs.js';
import type { JobToAdd, RetryOverrides } from '../../src/queue/jobs.js';
import { BULK_CHUNK, createJobQueue, type BullJobQueue } from '../../src/queue/queue.js';
import { createRedis } from '../../src/queue/redis.js';
import { startWorkers, type JobEvent, type Processors, type Workers } from '../../src/queue/workers.js';
import { createTestRedis, pollUntil, processorsWith, type TestRedis } from '../support/redis.js';

const retries: RetryOverrides = {
  deploy: { attempts: 3, backoffMs: 60 },
  destroy: { attempts: 3, backoffMs: 20 },
  notify: { attempts: 2, backoffMs: 10, timeoutMs: 150 },
  'approval-expire': { attempts: 1, timeoutMs: 150 },
  remind: { attempts: 3, backoffMs: 400 },
};

let redis: TestRedis;
let jobs: BullJobQueue;
let workers: Workers | undefined;

beforeAll(async () => {
  redis = await createTestRedis('queue');
  jobs = createJobQueue({ connection: redis.url, prefix: redis.prefix, retries });
});

afterEach(async () => {
  await workers?.stop(2000);
  workers = undefined;
});

afterAll(async () => {
  await jobs.close();
  await redis.cleanup();
});

async function start(processors: Partial<Processors>, onEvent?: (event: JobEvent) => void): Promise<Workers> {
  workers = await startWorkers({
    connection: redis.url,
    prefix: redis.prefix,
    concurrency: 1,
    processors: processorsWith(processors),
    log: silentLogger,
    retries,
    ...(onEvent ? { onEvent } : {}),
  });
  return workers;
}

describe('job ids', () => {
  it('runs a job added twice with the same id once, also when added again after it completed', async () => {
    const runs: string[] = [];
    await start({ destroy: async ({ envId }) => void runs.push(envId) });
    const id = jobIds.destroy('env-dup001');
    await Promise.all([jobs.add('destroy', { envId: 'env-dup001' }, { jobId: id }), jobs.add('destroy', { envId: 'env-dup001' }, { jobId: id })]);
    await redis.waitForJob('destroy', id);
    await jobs.add('destroy', { envId: 'env-dup001' }, { jobId: id });
    // A later job on the same one-at-a-time queue finishing proves the duplicate was not queued before it.
    await jobs.add('destroy', { envId: 'env-later1' }, { jobId: jobIds.destroy('env-later1') });
    await redis.waitForJob('destroy', jobIds.destroy('env-later1'));
    expect(runs).toEqual(['env-dup001', 'env-later1']);
  });

  it('replaces a job that failed for good when the same id is added again', async () => {
    let calls = 0;
    await start({
      destroy: async () => {
        calls += 1;
        if (calls === 1) throw new AppError('cloud_refused', 'no', { retry: false });
      },
    });
    const id = jobIds.destroy('env-again1');
    await jobs.add('destroy', { envId: 'env-again1' }, { jobId: id });
    expect((await redis.waitForJob('destroy', id)).state).toBe('failed');
    await jobs.add('destroy', { envId: 'env-again1' }, { jobId: id });
    expect((await redis.waitForJob('destroy', id)).state).toBe('completed');
    expect(calls).toBe(2);
  });

  it('refuses an invalid payload before it reaches Redis', async () => {
    const adding = jobs.add('deploy', { envId: 'not-an-env' }, { jobId: 'deploy-bad' });
    await expect(adding).rejects.toMatchObject({ code: 'invalid_job_payload' });
    await expect(adding).rejects.toThrow(/Invalid payload for job "deploy".*envId/);
    expect(await redis.queue('deploy').getJobState('deploy-bad')).toBe('unknown');
  });
});

describe('delays', () => {
  it('runs a delayed job after its delay, not before', async () => {
    let ranAt = 0;
    await start({ 'approval-expire': async () => void (ranAt = Date.now()) });
    const addedAt = Date.now();
    const id = jobIds.approvalExpire('env-delay1');
    await jobs.add('approval-expire', { envId: 'env-delay1' }, { jobId: id, runAt: new Date(addedAt + 200) });
    expect(await redis.queue('approval-expire').getJobState(id)).toBe('delayed');
    await redis.waitForJob('approval-expire', id);
    expect(ranAt - addedAt).toBeGreaterThanOrEqual(190);
  });

  it('runs a job whose time has passed at once', async () => {
    await start({});
    const id = jobIds.approvalExpire('env-past01');
    await jobs.add('approval-expire', { envId: 'env-past01' }, { jobId: id, runAt: new Date(Date.now() - 60_000) });
    const { job } = await redis.waitForJob('approval-expire', id);
    expect(job?.opts.delay).toBe(0);
  });
});

describe('retries', () => {
  it('attempts a job failing with a non-retryable AppError once', async () => {
    const events: JobEvent[] = [];
    let calls = 0;
    await start(
      {
        deploy: async () => {
          calls += 1;
          throw new AppError('unknown_preset', 'There is no preset "x".', { retry: false });
        },
      },
      (event) => events.push(event),
    );
    const id = jobIds.deploy('env-unrec1');
    await jobs.add('deploy', { envId: 'env-unrec1' }, { jobId: id });
    const { state, job } = await redis.waitForJob('deploy', id);
    expect(state).toBe('failed');
    expect(calls).toBe(1);
    expect(job?.failedReason).toBe('unknown_preset: There is no preset "x".');
    await pollUntil(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'failed', queue: 'deploy', jobId: id, attempt: 1, willRetry: false, error: 'UnrecoverableError' });
  });

  it('retries a retryable failure with exponential backoff until attempts run out', async () => {
    const events: JobEvent[] = [];
    const attempts: { attempt: number; at: number }[] = [];
    await start(
      {
        deploy: async (_payload, { attempt }) => {
          attempts.push({ attempt, at: Date.now() });
          throw new AppError('cloud_busy', 'try later', { retry: true });
        },
      },
      (event) => events.push(event),
    );
    const id = jobIds.deploy('env-retry1');
    await jobs.add('deploy', { envId: 'env-retry1' }, { jobId: id });
    expect((await redis.waitForJob('deploy', id)).state).toBe('failed');
    expect(attempts.map((item) => item.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = attempts.map((item) => item.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(55); // backoff 60 ms
    expect(third - second).toBeGreaterThanOrEqual(115); // then 120 ms
    await pollUntil(() => events.length === 3);
    expect(events.map((event) => event.type === 'failed' && event.willRetry)).toEqual([true, true, false]);
  });

  it('does not retry a job whose stored payload is invalid, and never calls the processor', async () => {
    let calls = 0;
    await start({ deploy: async () => void (calls += 1) });
    await redis.queue('deploy').add('deploy', { envId: 'not-an-env' }, { jobId: 'deploy-raw-bad', attempts: 3, backoff: 10 });
    const { state, job } = await redis.waitForJob('deploy', 'deploy-raw-bad');
    expect(state).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/invalid payload for job "deploy"/);
    expect(calls).toBe(0);
  });
});

describe('time limits', () => {
  it('aborts the signal at the time limit and fails the attempt as retryable', async () => {
    const seen: { attempt: number; reason: unknown }[] = [];
    await start({
      notify: (_payload, { signal, attempt }) =>
        new Promise<void>((_, reject) => {
          signal.addEventListener('abort', () => {
            seen.push({ attempt, reason: signal.reason });
            reject(new Error('aborted'));
          });
        }),
    });
    const id = jobIds.notify('env-slow01', 'plan.created');
    await jobs.add('notify', { envId: 'env-slow01', event: 'plan.created' }, { jobId: id });
    const { state, job } = await redis.waitForJob('notify', id);
    expect(state).toBe('failed');
    expect(seen.map((item) => item.attempt)).toEqual([1, 2]);
    expect(seen[0]?.reason).toMatchObject({ name: 'JobTimeoutError' });
    expect(job?.failedReason).toBe('job "notify" ran longer than its 150 ms limit');
  });

  it('fails the attempt at the limit even when the processor ignores the signal', async () => {
    // The processor never settles: only the time limit can end the attempt.
    await start({ 'approval-expire': () => new Promise<void>(() => undefined) });
    const id = jobIds.approvalExpire('env-hang01');
    await jobs.add('approval-expire', { envId: 'env-hang01' }, { jobId: id });
    const { state, job } = await redis.waitForJob('approval-expire', id);
    expect(state).toBe('failed');
    expect(job?.failedReason).toMatch(/ran longer than its \d+ ms limit/);
  });
});

describe('bulk adds', () => {
  const destroyJob = (envId: string): JobToAdd => ({ name: 'destroy', payload: { envId }, options: { jobId: jobIds.destroy(envId) } });

  it('adds many jobs at once by the rules of add: pending and completed ids stay as they are, a failed one runs again', async () => {
    const runs: string[] = [];
    await start({
      destroy: async ({ envId }) => {
        runs.push(envId);
        if (envId === 'env-bulkf1' && runs.filter((id) => id === envId).length === 1) throw new AppError('cloud_refused', 'no', { retry: false });
      },
    });
    await jobs.addMany([destroyJob('env-bulkc1'), destroyJob('env-bulkf1')]);
    await redis.waitForJob('destroy', jobIds.destroy('env-bulkc1'));
    expect((await redis.waitForJob('destroy', jobIds.destroy('env-bulkf1'))).state).toBe('failed');
    const later = new Date(Date.now() + 60_000);
    const timer: JobToAdd = { name: 'expire', payload: { envId: 'env-bulkp1', expiresAt: later.toISOString() }, options: { jobId: jobIds.expire('env-bulkp1', later), runAt: later } };
    await jobs.addMany([timer, timer]);

    // Jobs of several queues go through one state check: the destroy jobs' states are read from the second queue's sets.
    await jobs.addMany([timer, destroyJob('env-bulkc1'), destroyJob('env-bulkf1')]);
    expect((await redis.waitForJob('destroy', jobIds.destroy('env-bulkf1'))).state).toBe('completed');
    expect(runs.sort()).toEqual(['env-bulkc1', 'env-bulkf1', 'env-bulkf1']);
    expect(await jobs.jobCounts()).toContainEqual({ queue: 'expire', state: 'delayed', count: 1 });
    await jobs.remove('expire', timer.options.jobId);
  });

  it('adds jobs with new ids without looking them up: the jobs of every queue are added, and a taken id stays as it is', async () => {
    await start({
      destroy: async () => {
        throw new AppError('cloud_refused', 'no', { retry: false });
      },
    });
    await jobs.add('destroy', { envId: 'env-newid1' }, { jobId: jobIds.destroy('env-newid1') });
    expect((await redis.waitForJob('destroy', jobIds.destroy('env-newid1'))).state).toBe('failed');
    const failed = await redis.queue('destroy').getJob(jobIds.destroy('env-newid1'));
    const later = new Date(Date.now() + 60_000);
    const timer: JobToAdd = { name: 'expire', payload: { envId: 'env-newid2', expiresAt: later.toISOString() }, options: { jobId: jobIds.expire('env-newid2', later), runAt: later } };

    await jobs.addMany([timer, destroyJob('env-newid1')], { newIds: true });

    expect(await jobs.has('expire', timer.options.jobId)).toBe(true);
    // Without the state check the failed job is not replaced, where `add` would put a new one in its place.
    const after = await redis.queue('destroy').getJob(jobIds.destroy('env-newid1'));
    expect(after?.timestamp).toBe(failed?.timestamp);
    expect(await redis.queue('destroy').getJobState(jobIds.destroy('env-newid1'))).toBe('failed');
    await jobs.remove('expire', timer.options.jobId);
    await jobs.remove('destroy', jobIds.destroy('env-newid1'));
  });

  it('restores what will not run as things stand: missing and finished jobs, not pending ones, also past one chunk', async () => {
    await start({ destroy: async () => undefined });
    await jobs.add('destroy', { envId: 'env-rest01' }, { jobId: jobIds.destroy('env-rest01') });
    await redis.waitForJob('destroy', jobIds.destroy('env-rest01'));
    await workers?.stop(2000);
    workers = undefined;
    await jobs.add('destroy', { envId: 'env-rest02' }, { jobId: jobIds.destroy('env-rest02') });
    const missing = Array.from({ length: BULK_CHUNK + 5 }, (_, index) => destroyJob(`env-m${index.toString(36).padStart(5, '0')}`));

    const restored = await jobs.restoreMissing([destroyJob('env-rest01'), destroyJob('env-rest02'), ...missing]);

    expect(restored.map((job) => job.options.jobId)).toEqual([jobIds.destroy('env-rest01'), ...missing.map((job) => job.options.jobId)]);
    expect(await jobs.jobCounts()).toContainEqual({ queue: 'destroy', state: 'waiting', count: BULK_CHUNK + 7 });
    expect(await jobs.restoreMissing([destroyJob('env-rest01'), ...missing])).toEqual([]);
    await Promise.all([destroyJob('env-rest01'), destroyJob('env-rest02'), ...missing].map((job) => jobs.remove('destroy', job.options.jobId)));
  });

  it('checks every payload before anything reaches Redis', async () => {
    const bad = { name: 'destroy', payload: { envId: 'not-an-env' }, options: { jobId: 'destroy-bad' } } as JobToAdd;
    await expect(jobs.addMany([destroyJob('env-valid1'), bad])).rejects.toMatchObject({ code: 'invalid_job_payload' });
    expect(await jobs.has('destroy', jobIds.destroy('env-valid1'))).toBe(false);
  });
});

describe('has, remove and counts', () => {
  it('sees delayed, active and retrying jobs as pending, and finished or removed ones as not', async () => {
    let release: () => void = () => undefined;
    let remindCalls = 0;
    await start({
      expire: () => new Promise<void>((resolve) => (release = resolve)),
      remind: async () => {
        remindCalls += 1;
        if (remindCalls === 1) throw new Error('chat is down');
      },
    });
    const later = new Date(Date.now() + 60_000);
    const delayedId = jobIds.approvalExpire('env-has001');
    await jobs.add('approval-expire', { envId: 'env-has001' }, { jobId: delayedId, runAt: later });
    expect(await jobs.has('approval-expire', delayedId)).toBe(true);
    await jobs.remove('approval-expire', delayedId);
    expect(await jobs.has('approval-expire', delayedId)).toBe(false);
    await jobs.remove('approval-expire', 'approval-expire-env-none01');

    const expiresAt = new Date();
    const activeId = jobIds.expire('env-has001', expiresAt);
    await jobs.add('expire', { envId: 'env-has001', expiresAt: expiresAt.toISOString() }, { jobId: activeId });
    await redis.waitForJob('expire', activeId, { states: ['active'] });
    expect(await jobs.has('expire', activeId)).toBe(true);
    release();
    await redis.waitForJob('expire', activeId);
    expect(await jobs.has('expire', activeId)).toBe(false);

    const remindId = jobIds.remind('env-has001', 3600, expiresAt);
    await jobs.add('remind', { envId: 'env-has001', offsetSeconds: 3600, expiresAt: expiresAt.toISOString() }, { jobId: remindId });
    await redis.waitForJob('remind', remindId, { states: ['delayed'] });
    expect(await jobs.has('remind', remindId)).toBe(true);
    expect((await redis.waitForJob('remind', remindId)).state).toBe('completed');
    expect(remindCalls).toBe(2);
  });

  it('answers "temporarily unavailable" (retryable) when Redis is gone, and never closes a connection it was given', async () => {
    const connection = createRedis(redis.url, 'producer');
    const own = createJobQueue({ connection, prefix: redis.prefix });
    const id = jobIds.approvalExpire('env-down01');
    await own.add('approval-expire', { envId: 'env-down01' }, { jobId: id, runAt: new Date(Date.now() + 60_000) });
    await own.close();
    expect(connection.status).toBe('ready');
    connection.disconnect();
    const closed = createJobQueue({ connection, prefix: redis.prefix });
    await expect(closed.has('approval-expire', id)).rejects.toMatchObject({ code: 'unavailable', retry: true });
    await jobs.remove('approval-expire', id);
  });

  it('counts jobs by queue and state', async () => {
    const later = new Date(Date.now() + 60_000);
    for (const envId of ['env-count1', 'env-count2']) {
      await jobs.add('expire', { envId, expiresAt: later.toISOString() }, { jobId: jobIds.expire(envId, later), runAt: later });
    }
    const counts = await jobs.jobCounts();
    expect(counts).toContainEqual({ queue: 'expire', state: 'delayed', count: 2 });
    expect(counts).toContainEqual({ queue: 'reconcile', state: 'waiting', count: 0 });
    expect(new Set(counts.map((item) => item.queue)).size).toBe(JOB_NAMES.length);
  });
});
