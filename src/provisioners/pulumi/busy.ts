import { isEngineError } from './engine.js';
import { pause } from '../pause.js';

/** How long to wait for another update to let go of a stack before giving up on this attempt. */
export interface BusyRetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BUSY_RETRY: BusyRetryPolicy = { attempts: 6, firstDelayMs: 5_000, maxDelayMs: 60_000 };

/**
 * Runs `call`; while it fails because another update holds the stack (409 / "currently locked"), waits with doubling
 * delays and tries again. The lock is never broken here (no `pulumi cancel`): a stale lock needs a person to confirm
 * nothing runs. After the last attempt the concurrent-update error is thrown. An abort ends a wait at once.
 */
export async function retryWhileBusy<T>(
  call: () => Promise<T>,
  policy: BusyRetryPolicy,
  signal: AbortSignal,
  onWait: (attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isEngineError(error, 'concurrent_update') || attempt >= policy.attempts) throw error;
      const delayMs = Math.min(policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      onWait(attempt, delayMs);
      await pause(delayMs, signal);
    }
  }
}
