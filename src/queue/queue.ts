import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { type EnqueueOptions, JOB_NAMES, type JobName, type JobPayload, type JobQueue, JOBS, type JobToAdd, type RetryOverrides, retrySettingsOf } from './jobs.js';
import { resolveRedis, type RedisTarget } from './redis.js';

/*
 * Job ids and finished jobs. BullMQ ignores an `add` whose id is already in Redis, in any state. The rule here:
 * - pending (waiting, delayed, prioritized, active): a second `add` is a no-op, so adding the same job twice runs it once;
 * - completed, and kept (up to KEEP_COMPLETED): a second `add` is a no-op too, so a late duplicate does not run the
 *   work again. Work that must run again needs a new id: ids carry what changes (remind and expire ids include the
 *   expiry, so an extension schedules new timers);
 * - failed for good: the work did not happen, so a new `add` replaces the failed job and runs it (retrying a destroy
 *   after `destroy_failed`). Failed jobs are kept (up to KEEP_FAILED) for inspection until then.
 * `remove` clears any job that is not running, which also frees its id.
 */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 };

/** States in which a job will still run (a failed attempt awaiting its retry sits in `delayed` or `waiting`). */
const PENDING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

/** Jobs whose state is checked in one pipeline, and added in one `addBulk` per queue: bounds what Redis holds up for. */
export const BULK_CHUNK = 1000;

/** What a job id stands for in Redis, as far as adding it again goes. */
type IdState = 'missing' | 'pending' | 'completed' | 'failed';
const ID_STATES: readonly IdState[] = ['missing', 'pending', 'completed', 'failed'];

/**
 * The state of each job id, as an index in ID_STATES: missing when its hash is gone, failed or completed when it sits
 * in that set of its queue, pending otherwise. KEYS are the completed and failed sets of each queue in turn; ARGV[1] is
 * the number of queues, ARGV[2..n+1] their job key prefixes, then pairs of (queue number from 1, job id). One call
 * answers for jobs of every queue.
 */
const ID_STATES_SCRIPT = `
local queues = tonumber(ARGV[1])
local states = {}
for i = queues + 2, #ARGV, 2 do
  local q = tonumber(ARGV[i])
  local id = ARGV[i + 1]
  local state = 1
  if redis.call('EXISTS', ARGV[q + 1] .. id) == 0 then state = 0
  elseif redis.call('ZSCORE', KEYS[2 * q], id) then state = 3
  elseif redis.call('ZSCORE', KEYS[2 * q - 1], id) then state = 2 end
  states[#states + 1] = state
end
return states`;

/** The states reported to /metrics. */
export const COUNTED_STATES = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'] as const;
export type CountedState = (typeof COUNTED_STATES)[number];

export interface JobCount {
  queue: JobName;
  state: CountedState;
  count: number;
}

/** The producer side with its lifecycle and the figures /metrics reports. */
export interface BullJobQueue extends JobQueue {
  jobCounts(): Promise<JobCount[]>;
  close(): Promise<void>;
}

export interface JobQueueOptions {
  connection: RedisTarget;
  /** Key prefix shared by producers and workers of one deployment (QUEUE_PREFIX); tests use one of their own. */
  prefix: string;
  retries?: RetryOverrides;
  log?: Logger;
}

/** Checks a payload against its job's schema; a bad one is a programming error and never reaches Redis. */
export function validatePayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  const schema = JOBS[name].payload as unknown as z.ZodType<JobPayload<N>>;
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new AppError('invalid_job_payload', `Invalid payload for job "${name}": ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
}

/** BullMQ options for one job: id, delay until `runAt` (past means now), attempts and exponential backoff. */
export function jobOptions(name: JobName, options: EnqueueOptions, nowMs: number, overrides?: RetryOverrides): JobsOptions {
  const retry = retrySettingsOf(name, overrides);
  return {
    jobId: options.jobId,
    delay: options.runAt ? Math.max(0, options.runAt.getTime() - nowMs) : 0,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/** Redis failures reach callers as a retryable `unavailable` AppError, so a command can answer "try again". */
async function unavailableOnFailure<T>(name: JobName, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new AppError('unavailable', `The job queue is temporarily unavailable (${name}).`, { retry: true, cause: error });
  }
}

/** One BullMQ queue per job name, named after it. */
export function createJobQueue(options: JobQueueOptions): BullJobQueue {
  const log = options.log ?? silentLogger;
  const { connection, release } = resolveRedis(options.connection, 'producer', log);
  const queues = new Map<JobName, Queue>();
  for (const name of JOB_NAMES) {
    const queue = new Queue(name, { connection, prefix: options.prefix });
    queue.on('error', (error: Error) => log.warn({ err: error, queue: name }, 'job queue error'));
    queues.set(name, queue);
  }
  const flows = new FlowProducer({ connection, prefix: options.prefix });
  flows.on('error', (error: Error) => log.warn({ err: error }, 'job queue error'));
  const queueOf = (name: JobName): Queue => {
    const queue = queues.get(name);
    if (!queue) throw new Error(`unknown job name "${name}"`);
    return queue;
  };

  /** The state of each job id: one script call for the whole chunk, whatever the queues. */
  const statesOf = async (jobs: readonly JobToAdd[]): Promise<IdState[]> => {
    const names = [...new Set(jobs.map((job) => job.name))];
    const keys = names.flatMap((name) => [queueOf(name).keys.completed!, queueOf(name).keys.failed!]);
    const args = [String(names.length), ...names.map((name) => queueOf(name).toKey('')), ...jobs.flatMap((job) => [String(names.indexOf(job.name) + 1), job.options.jobId])];
    // Commands are not queued while the connection is not ready yet: wait for it as BullMQ's own calls do.
    await queueOf(names[0]!).waitUntilReady();
    const codes = (await connection.eval(ID_STATES_SCRIPT, keys.length, ...keys, ...args)) as number[];
    return codes.map((code) => ID_STATES[code]!);
  };
  /**
   * Removes the finished jobs among `finished`, then adds `jobs` (a job whose id is in Redis already is left as it is).
   * One job goes by `Queue.add`; several go in one transaction whatever their queues (a flow of lone jobs: BullMQ's
   * FlowProducer sends every add in one MULTI, where `addBulk` sends one per queue).
   */
  const replaceAndAdd = async (jobs: readonly JobToAdd[], finished: readonly JobToAdd[]): Promise<void> => {
    await Promise.all(finished.map((job) => queueOf(job.name).remove(job.options.jobId)));
    if (jobs.length === 0) return;
    const now = Date.now();
    const [only] = jobs;
    if (jobs.length === 1 && only) {
      await queueOf(only.name).add(only.name, only.payload, jobOptions(only.name, only.options, now, options.retries));
      return;
    }
    await flows.addBulk(jobs.map((job) => ({ name: job.name, queueName: job.name, data: job.payload, opts: jobOptions(job.name, job.options, now, options.retries) })));
  };
  /**
   * Adds jobs whose ids no job had, each with its queue's own add, side by side: for the few jobs of a new plan this
   * costs a third of a flow's CPU, whose MULTI copies every script BullMQ defines on the connection into a pipeline.
   */
  const addNew = async (jobs: readonly JobToAdd[]): Promise<void> => {
    const now = Date.now();
    await Promise.all(jobs.map((job) => queueOf(job.name).add(job.name, job.payload, jobOptions(job.name, job.options, now, options.retries))));
  };
  /** Runs `work` over `jobs` a chunk at a time, each job's payload checked first, Redis failures as `unavailable`. */
  const inChunks = async (jobs: readonly JobToAdd[], work: (chunk: JobToAdd[]) => Promise<void>): Promise<void> => {
    const checked = jobs.map((job) => ({ ...job, payload: validatePayload(job.name, job.payload) }) as JobToAdd);
    for (let start = 0; start < checked.length; start += BULK_CHUNK) {
      const chunk = checked.slice(start, start + BULK_CHUNK);
      await unavailableOnFailure(chunk[0]!.name, () => work(chunk));
    }
  };

  /** `add` for many jobs: one state check and one transaction of adds per chunk, sent together (no check for `newIds`). */
  const addMany: JobQueue['addMany'] = async (jobs, { newIds = false } = {}) => {
    await inChunks(jobs, async (chunk) => {
      if (newIds) return addNew(chunk);
      // The state check and the adds go to Redis together: an add is a no-op for an id Redis holds, which is what
      // the rule wants for a pending or completed job whichever ran first. A job that had failed for good was left
      // as it was by its add, and is replaced now.
      const [states] = await Promise.all([statesOf(chunk), replaceAndAdd(chunk, [])]);
      const failed = chunk.filter((_, index) => states[index] === 'failed');
      await replaceAndAdd(failed, failed);
    });
  };

  return {
    addMany,
    async restoreMissing(jobs) {
      const restored: JobToAdd[] = [];
      await inChunks(jobs, async (chunk) => {
        const states = await statesOf(chunk);
        const finished = chunk.filter((_, index) => states[index] === 'completed' || states[index] === 'failed');
        const added = chunk.filter((_, index) => states[index] !== 'pending');
        await replaceAndAdd(added, finished);
        restored.push(...added);
      });
      return restored;
    },
    async add(name, payload, enqueue) {
      await addMany([{ name, payload, options: enqueue } as JobToAdd]);
    },
    async remove(name, jobId) {
      // 0 means missing or running: a running job finishes, and its id stays taken until then.
      await unavailableOnFailure(name, () => queueOf(name).remove(jobId));
    },
    async has(name, jobId) {
      return PENDING_STATES.has(await unavailableOnFailure(name, () => queueOf(name).getJobState(jobId)));
    },
    async jobCounts() {
      const perQueue = await Promise.all(
        JOB_NAMES.map(async (name) => {
          const counts = await queueOf(name).getJobCounts(...COUNTED_STATES);
          return COUNTED_STATES.map((state) => ({ queue: name, state, count: counts[state] ?? 0 }));
        }),
      );
      return perQueue.flat();
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await flows.close();
      await release();
    },
  };
}
