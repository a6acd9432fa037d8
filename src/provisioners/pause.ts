import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms`; an abort ends the wait at once and throws the signal's own reason (not a generic AbortError). */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}
