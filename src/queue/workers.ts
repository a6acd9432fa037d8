import { Worker, type Job } from 'bullmq';
import type { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { JOB_NAMES, type JobName, type RetryOverrides, retrySettingsOf } from './jobs.js';
import { resolveRedis, type RedisTarget } from './redis.js';
import { runJob, WorkerStoppingError, type JobProcessor, type Processors, type RunningJob } from './run-job.js';
import { keepSchedules, type ScheduleKeeper } from './schedule-keeper.js';
import { upsertSchedules, type ScheduleOptions } from './schedules.js';

export type { JobContext, JobProcessor, Processors } from './run-job.js';

/** What the metrics module counts; emitted after BullMQ has recorded the outcome. */
export type JobEvent =
  | { type: 'completed'; queue: JobName; jobId: string; attempt: number; durationMs: number }
  | { type: 'failed'; queue: JobName; jobId: string; attempt: number; durationMs: number; willRetry: boolean; error: string };

export type JobEventListener = (event: JobEvent) => void;

export interface StartWorkersOptions {
  connection: RedisTarget;
  prefix: string;
  /** Jobs run at once per job name (WORKER_CONCURRENCY); the scheduled singletons run one at a time. */
  concurrency: number;
  processors: Processors;
  log: Logger;
  onEvent?: JobEventListener;
  retries?: RetryOverrides;
  /** The repeating jobs; omitted, this process only runs what others schedule. */
  schedules?: ScheduleOptions;
  /** A job whose worker died goes back to the queue once its lock expires (BullMQ's default: 30 s). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Told when a job meets a failure after which this process must stop; that job is handed back to the queue. */
  onProcessMustStop?: (error: AppError) => void;
}

export interface StopResult {
  /** Every running job finished within the bound. */
  drained: boolean;
  /** Jobs still running at the bound, handed back to the queue for another worker. */
  handedBack: number;
}

export interface Workers {
  /** Adds a listener of job outcomes; returns its removal. */
  subscribe(listener: JobEventListener): () => void;
  /** Jobs running in this process now. */
  running(): number;
  /**
   * Stops taking jobs, waits up to `timeoutMs` for running ones, then hands the rest back (their signals abort and
   * they return to the queue) and closes the connections. Calling it again returns the same stop.
   */
  stop(timeoutMs: number): Promise<StopResult>;
}

const SINGLETONS = new Set<JobName>(['reconcile', 'audit-retention', 'audit-verify', 'audit-head']);
/** How long a stop waits for Redis while handing jobs back and closing, past its own bound. */
const HAND_BACK_MS = 2000;

interface AttemptStart {
  attempt: number;
  startedAt: number;
}

export async function startWorkers(options: StartWorkersOptions): Promise<Workers> {
  const { log } = options;
  const { connection, release } = resolveRedis(options.connection, 'worker', log);
  const listeners = new Set<JobEventListener>(options.onEvent ? [options.onEvent] : []);
  const running = new Set<RunningJob>();
  const starts = new WeakMap<Job, AttemptStart>();

  const emit = (event: JobEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.warn({ err: error }, 'job event listener failed');
      }
    }
  };

  const workers = JOB_NAMES.map((name) => {
    const handler = runJob(name, options.processors[name] as JobProcessor<typeof name>, {
      timeoutMs: retrySettingsOf(name, options.retries).timeoutMs,
      log,
      running,
      handBackMs: HAND_BACK_MS,
      ...(options.onProcessMustStop ? { onProcessMustStop: options.onProcessMustStop } : {}),
    });
    const worker = new Worker(
      name,
      (job: Job, token?: string, signal?: AbortSignal) => {
        starts.set(job, { attempt: job.attemptsMade + 1, startedAt: Date.now() });
        return handler(job, token, signal);
      },
      {
        connection,
        prefix: options.prefix,
        concurrency: SINGLETONS.has(name) ? 1 : options.concurrency,
        maxStalledCount: 2,
        ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
        ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
      },
    );
    worker.on('error', (error: Error) => log.warn({ err: error, queue: name }, 'worker error'));
    worker.on('completed', (job: Job) => emit({ type: 'completed', queue: name, ...outcomeOf(job, starts) }));
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      const outcome = outcomeOf(job, starts);
      const unrecoverable = error.name === 'UnrecoverableError';
      const willRetry = !unrecoverable && outcome.attempt < (job.opts.attempts ?? 1);
      emit({ type: 'failed', queue: name, ...outcome, willRetry, error: error.name });
    });
    return worker;
  });

  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  let keeper: ScheduleKeeper | undefined;
  if (options.schedules) {
    await upsertSchedules(connection, options.prefix, options.schedules, options.retries);
    keeper = keepSchedules(connection, options.prefix, options.schedules, options.retries, log);
  }
  log.info({ queues: JOB_NAMES, concurrency: options.concurrency, prefix: options.prefix }, 'workers started');

  let stopping: Promise<StopResult> | undefined;
  const stopAll = async (timeoutMs: number): Promise<StopResult> => {
    log.info({ timeoutMs, running: running.size }, 'workers stopping: no new jobs; waiting for running ones');
    keeper?.stop();
    const closing = Promise.all(workers.map((worker) => worker.close())).then(
      () => true,
      (error: unknown) => {
        log.warn({ err: error }, 'closing a worker failed');
        return true;
      },
    );
    const drained = await within(closing, timeoutMs);
    let handedBack = 0;
    if (!drained) {
      handedBack = running.size;
      log.warn({ handedBack, timeoutMs }, 'workers stopping: time is up; handing running jobs back to the queue');
      for (const entry of running) entry.controller.abort(new WorkerStoppingError());
      if (!(await within(closing, HAND_BACK_MS + 500))) {
        await Promise.allSettled(workers.map((worker) => worker.disconnect()));
      }
    }
    await release();
    log.info({ drained, handedBack }, 'workers stopped');
    return { drained, handedBack };
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    running: () => running.size,
    stop(timeoutMs) {
      stopping ??= stopAll(timeoutMs);
      return stopping;
    },
  };
}

function outcomeOf(job: Job, starts: WeakMap<Job, AttemptStart>): { jobId: string; attempt: number; durationMs: number } {
  const start = starts.get(job);
  return {
    jobId: job.id ?? '',
    attempt: start?.attempt ?? job.attemptsMade,
    durationMs: start ? Date.now() - start.startedAt : 0,
  };
}

/** True when the promise settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
