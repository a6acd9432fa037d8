import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits `ms`; an abort ends the wait at once and throws the signal's own reason (not a generic AbortError). A pause
 * of zero does not wait at all: a timer of 0 ms still waits for the event loop's next timers phase (1 ms at least).
 */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}
