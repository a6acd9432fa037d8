import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { z } from 'zod';
import { isAppError, stopsProcess, type AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { JOBS, type JobName, type JobPayload } from './jobs.js';

/** What a processor gets besides its payload. */
export interface JobContext {
  jobId: string;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the job runs out of time or the worker stops for good; long work should honour it. */
  signal: AbortSignal;
  /** Carries the job id, name, attempt and environment id. */
  log: Logger;
}

/** What a workflow's job step needs to know about the run it is part of. */
export type JobRun = Pick<JobContext, 'attempt' | 'signal'>;

/**
 * True when a failure on this run will not be retried, so the workflow must settle the outcome itself. Never for a
 * failure that stops the process: that job goes back to the queue for another process.
 */
export function isFinalAttempt(run: JobRun, maxAttempts: number, error: unknown): boolean {
  if (stopsProcess(error)) return false;
  const retryable = typeof error === 'object' && error !== null && 'retry' in error ? Boolean(error.retry) : true;
  return !retryable || run.attempt >= maxAttempts;
}

export type JobProcessor<N extends JobName> = (payload: JobPayload<N>, context: JobContext) => Promise<void>;

/** One processor per job name of JOBS. */
export type Processors = { [N in JobName]: JobProcessor<N> };

/** An attempt that ran past its job's time limit; retryable, like any failure that may pass. */
export class JobTimeoutError extends Error {
  constructor(name: JobName, timeoutMs: number) {
    super(`job "${name}" ran longer than its ${timeoutMs} ms limit`);
    this.name = 'JobTimeoutError';
  }
}

/** The abort reason when a stopping worker gives up waiting: the job is handed back, not failed. */
export class WorkerStoppingError extends Error {
  constructor() {
    super('the worker is stopping; the job goes back to the queue');
    this.name = 'WorkerStoppingError';
  }
}

/** A job being processed in this process, as the stop procedure needs it. */
export interface RunningJob {
  controller: AbortController;
}

export interface RunJobOptions {
  timeoutMs: number;
  log: Logger;
  running: Set<RunningJob>;
  /** Bounds handing a job back to the queue, so a stop stays bounded when Redis is away. */
  handBackMs: number;
  /** Told of a failure after which this process must stop (see `AppError.stopsProcess`); the job is handed back. */
  onProcessMustStop?: (error: AppError) => void;
}

/**
 * Wraps a processor for BullMQ: validates the payload (a bad one never retries), enforces the time limit, gives the
 * processor a child logger, and turns errors into what BullMQ needs to retry or not.
 */
export function runJob<N extends JobName>(name: N, processor: JobProcessor<N>, options: RunJobOptions) {
  const schema = JOBS[name].payload as unknown as z.ZodType<JobPayload<N>>;
  return async (job: Job, token?: string, bullSignal?: AbortSignal): Promise<void> => {
    const attempt = job.attemptsMade + 1;
    const jobId = job.id ?? '';
    const log = options.log.child({ jobId, job: name, envId: envIdOf(job.data), attempt });
    const parsed = schema.safeParse(job.data);
    if (!parsed.success) {
      log.error({ problems: z.prettifyError(parsed.error) }, 'job payload is invalid; not retrying');
      throw new UnrecoverableError(`invalid payload for job "${name}": ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
    }
    const controller = new AbortController();
    const entry: RunningJob = { controller };
    const forwardAbort = () => controller.abort(bullSignal?.reason);
    bullSignal?.addEventListener('abort', forwardAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(name, options.timeoutMs)), options.timeoutMs);
    options.running.add(entry);
    const startedAt = Date.now();
    try {
      const work = processor(parsed.data, { jobId, attempt, signal: controller.signal, log });
      await untilAborted(work, controller.signal);
      log.info({ durationMs: Date.now() - startedAt }, 'job completed');
    } catch (error) {
      throw await failureOf(error, controller.signal, { job, token, log, handBackMs: options.handBackMs, onProcessMustStop: options.onProcessMustStop });
    } finally {
      clearTimeout(timer);
      bullSignal?.removeEventListener('abort', forwardAbort);
      options.running.delete(entry);
    }
  };
}

/** Settles with the work, or rejects with the abort reason as soon as the signal fires. */
function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  // A processor that ignores the signal may settle later; its outcome no longer matters.
  work.catch(() => undefined);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

interface FailureContext {
  job: Job;
  token: string | undefined;
  log: Logger;
  handBackMs: number;
  onProcessMustStop: ((error: AppError) => void) | undefined;
}

async function failureOf(error: unknown, signal: AbortSignal, context: FailureContext): Promise<Error> {
  const { log } = context;
  // The abort reason wins over whatever the processor threw while being aborted.
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof WorkerStoppingError) {
    await handBack(context);
    return new WaitingError();
  }
  if (stopsProcess(error)) {
    await handBack(context);
    context.onProcessMustStop?.(error);
    return new WaitingError();
  }
  if (reason instanceof JobTimeoutError) {
    log.warn({ err: reason }, 'job timed out; the attempt fails and may be retried');
    return reason;
  }
  if (isAppError(error) && !error.retry) {
    log.error({ err: error, code: error.code }, 'job failed and cannot succeed; not retrying');
    return new UnrecoverableError(`${error.code}: ${error.message}`);
  }
  log.warn({ err: error, code: isAppError(error) ? error.code : undefined }, 'job attempt failed');
  return error instanceof Error ? error : new Error(String(error));
}

/** Puts the job back at the head of the wait list so another worker takes it now; if that fails it comes back as stalled. */
async function handBack({ job, token, log, handBackMs }: FailureContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${handBackMs} ms`)), handBackMs);
    });
    await Promise.race([job.moveToWait(token), bound]);
    log.info('worker stopping: job handed back to the queue');
  } catch (error) {
    log.warn({ err: error }, 'worker stopping: could not hand the job back; it returns when its lock expires');
  } finally {
    clearTimeout(timer);
  }
}

function envIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('envId' in data)) return undefined;
  return typeof data.envId === 'string' ? data.envId : undefined;
}
