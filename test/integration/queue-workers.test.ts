import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { jobIds } from '../../src/queue/jobs.js';
import { createJobQueue, type BullJobQueue } from '../../src/queue/queue.js';
import { DEFAULT_RETENTION_PATTERN } from '../../src/queue/schedules.js';
import { startWorkers, type JobEvent, type Processors, type StartWorkersOptions, type Workers } from '../../src/queue/workers.js';
import { createTestRedis, pollUntil, processorsWith, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let jobs: BullJobQueue;
const started: Workers[] = [];

beforeAll(async () => {
  redis = await createTestRedis('workers');
  jobs = createJobQueue({ connection: redis.url, prefix: redis.prefix });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((workers) => workers.stop(2000)));
});

afterAll(async () => {
  await jobs.close();
  await redis.cleanup();
});

async function start(processors: Partial<Processors>, extra: Partial<StartWorkersOptions> = {}): Promise<Workers> {
  const workers = await startWorkers({
    connection: redis.url,
    prefix: redis.prefix,
    concurrency: 2,
    processors: processorsWith(processors),
    log: silentLogger,
    ...extra,
  });
  started.push(workers);
  return workers;
}

describe('graceful stop', () => {
  it('stops taking jobs and waits for the running one to finish', async () => {
    let finish!: () => void;
    const mayFinish = new Promise<void>((resolve) => (finish = resolve));
    const ranBy: string[] = [];
    const workers = await start({
      deploy: async ({ envId }) => {
        ranBy.push(`stopped set: ${envId}`);
        await mayFinish;
      },
    });
    const id = jobIds.deploy('env-stop01');
    await jobs.add('deploy', { envId: 'env-stop01' }, { jobId: id });
    await pollUntil(() => workers.running() === 1);
    const stopping = workers.stop(5000);
    finish();
    expect(await stopping).toEqual({ drained: true, handedBack: 0 });
    expect(await redis.queue('deploy').getJobState(id)).toBe('completed');

    // Stopped workers take nothing more: a job added now waits for, and is run by, a set started after it.
    const laterId = jobIds.deploy('env-stop02');
    await jobs.add('deploy', { envId: 'env-stop02' }, { jobId: laterId });
    await start({ deploy: async ({ envId }) => void ranBy.push(`new set: ${envId}`) });
    expect((await redis.waitForJob('deploy', laterId)).state).toBe('completed');
    expect(ranBy).toEqual(['stopped set: env-stop01', 'new set: env-stop02']);
  });

  it('returns within its bound, aborts the running job and hands it back for another worker', async () => {
    const reasons: unknown[] = [];
    const first = await start({
      destroy: (_payload, { signal }) =>
        new Promise<void>((_, reject) => {
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(new Error('stopped'));
          });
        }),
    });
    const id = jobIds.destroy('env-bound1');
    await jobs.add('destroy', { envId: 'env-bound1' }, { jobId: id });
    await pollUntil(() => first.running() === 1);

    // The processor only ends when aborted: the stop can only return by giving up at its bound.
    const stopping = first.stop(300);
    expect(first.stop(300)).toBe(stopping);
    const result = await stopping;
    expect(result).toEqual({ drained: false, handedBack: 1 });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ name: 'WorkerStoppingError' });
    expect(await redis.queue('destroy').getJobState(id)).toBe('waiting');

    const attempts: number[] = [];
    await start({ destroy: async (_payload, { attempt }) => void attempts.push(attempt) });
    expect((await redis.waitForJob('destroy', id)).state).toBe('completed');
    // Handing back is not a failure: the next worker runs it as the same attempt.
    expect(attempts).toEqual([1]);
  });
});

describe('events for metrics', () => {
  it('reports completed jobs with their queue and duration, to every subscriber until it unsubscribes', async () => {
    const fromOption: JobEvent[] = [];
    const fromSubscriber: JobEvent[] = [];
    const workers = await start(
      { notify: async () => void (await new Promise((resolve) => setTimeout(resolve, 50))) },
      { onEvent: (event) => fromOption.push(event) },
    );
    const unsubscribe = workers.subscribe((event) => fromSubscriber.push(event));
    const id = jobIds.notify('env-event1', 'plan.created');
    await jobs.add('notify', { envId: 'env-event1', event: 'plan.created' }, { jobId: id });
    await pollUntil(() => fromSubscriber.length === 1);
    expect(fromSubscriber[0]).toMatchObject({ type: 'completed', queue: 'notify', jobId: id, attempt: 1 });
    expect(fromSubscriber[0]?.durationMs).toBeGreaterThanOrEqual(45);
    unsubscribe();
    const secondId = jobIds.notify('env-event1', 'plan.decided');
    await jobs.add('notify', { envId: 'env-event1', event: 'plan.decided' }, { jobId: secondId });
    await pollUntil(() => fromOption.length === 2);
    expect(fromSubscriber).toHaveLength(1);
  });
});

describe('schedules', () => {
  it('runs reconcile on one shared schedule, however many processes start workers', async () => {
    const runs: number[] = [];
    const schedules = { reconcileEveryMs: 250 };
    await start({ reconcile: async () => void runs.push(Date.now()) }, { schedules });
    await start({ reconcile: async () => void runs.push(Date.now()) }, { schedules });
    const reconcileQueue = redis.queue('reconcile');
    expect(await reconcileQueue.getJobSchedulersCount()).toBe(1);
    expect(await reconcileQueue.getJobScheduler('reconcile')).toMatchObject({ every: 250 });
    expect(await redis.queue('audit-retention').getJobScheduler('audit-retention')).toMatchObject({
      pattern: DEFAULT_RETENTION_PATTERN,
      tz: 'UTC',
    });
    await pollUntil(() => runs.length >= 3, { timeoutMs: 5000 });
    const gaps = runs.slice(1).map((at, index) => at - (runs[index] ?? 0));
    // Two processes, one schedule: no run is doubled (a doubled run would come a few ms after its twin).
    expect(Math.min(...gaps)).toBeGreaterThan(50);
  });
});
