import type { JobContext } from '../src/queue/run-job.js';

/** What a workflow's job step needs to know about the run it is part of. */
export type JobRun = Pick<JobContext, 'attempt' | 'signal'>;

/** True when a failure on this run will not be retried, so the workflow must settle the outcome itself. */
export function isFinalAttempt(run: JobRun, maxAttempts: number, error: unknown): boolean {
  const retryable = typeof error === 'object' && error !== null && 'retry' in error ? Boolean(error.retry) : true;
  return !retryable || run.attempt >= maxAttempts;
}
