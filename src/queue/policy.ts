import { JOBS, type JobName } from './catalog.js';

/** The retry policy and time limit of a job name, as the catalog sets them. */
export interface JobPolicy {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

/**
 * Per-name replacements of catalog values. Production uses the catalog as is; tests shrink backoffs and timeouts
 * instead of waiting for real ones.
 */
export type PolicyOverrides = Partial<Record<JobName, Partial<JobPolicy>>>;

export function policyOf(name: JobName, overrides: PolicyOverrides = {}): JobPolicy {
  const { attempts, backoffMs, timeoutMs } = JOBS[name];
  return { attempts, backoffMs, timeoutMs, ...overrides[name] };
}
