import { randomBytes } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_NAMES, type JobName } from '../../src/queue/jobs.js';
import type { Processors } from '../../src/queue/workers.js';

/** The machine's Redis (CI and developers). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type FinishedState = 'completed' | 'failed';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export interface TestRedis {
  url: string;
  /** A BullMQ prefix of this test file's own; every key it owns starts with `<prefix>:`. */
  prefix: string;
  /** A plain connection, for assertions on keys. */
  redis: Redis;
  /** A queue under the prefix, to inspect jobs as Redis holds them. */
  queue(name: JobName): Queue;
  /** Waits until the job reaches one of `states` (default: completed or failed for good); throws at the deadline. */
  waitForJob(name: JobName, jobId: string, options?: WaitOptions & { states?: string[] }): Promise<{ state: string; job: Job | undefined }>;
  /** Keys under the prefix. */
  keys(): Promise<string[]>;
  /** Closes the inspection queues, deletes every key under the prefix and disconnects. */
  cleanup(): Promise<void>;
}

export function uniquePrefix(label = 'test'): string {
  return `t-${label.replace(/[^A-Za-z0-9_-]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

export async function createTestRedis(label?: string): Promise<TestRedis> {
  const prefix = uniquePrefix(label);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queues = new Map<JobName, Queue>();
  const queue = (name: JobName): Queue => {
    let found = queues.get(name);
    if (!found) {
      found = new Queue(name, { connection: redis, prefix });
      queues.set(name, found);
    }
    return found;
  };
  const keys = () => keysUnder(redis, prefix);

  return {
    url: TEST_REDIS_URL,
    prefix,
    redis,
    queue,
    keys,
    async waitForJob(name, jobId, options = {}) {
      const states = options.states ?? ['completed', 'failed'];
      let state = 'unknown';
      await pollUntil(
        async () => {
          state = await queue(name).getJobState(jobId);
          return states.includes(state);
        },
        { ...options, message: () => `job ${name}/${jobId} did not reach ${states.join(' or ')} (last state: ${state})` },
      );
      return { state, job: await queue(name).getJob(jobId) };
    },
    async cleanup() {
      await Promise.all([...queues.values()].map((item) => item.close()));
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    },
  };
}

/** Every key under a BullMQ prefix. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under a BullMQ prefix (a test's own queues). */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const found = await keysUnder(redis, prefix);
  for (let start = 0; start < found.length; start += 500) await redis.del(...found.slice(start, start + 500));
}

/** Checks every `intervalMs` until `check` is true; throws at the deadline. No long sleeps: the interval is short. */
export async function pollUntil(
  check: () => Promise<boolean> | boolean,
  options: WaitOptions & { message?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const intervalMs = options.intervalMs ?? 20;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(options.message?.() ?? `condition not met within ${options.timeoutMs ?? 10_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Processors for every job name: the given ones, and no-ops for the rest. */
export function processorsWith(given: Partial<Processors>): Processors {
  const noop = async () => undefined;
  return Object.fromEntries(JOB_NAMES.map((name) => [name, given[name] ?? noop])) as Processors;
}
