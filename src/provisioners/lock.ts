import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

export interface EnvLockOptions {
  /** Pause between tries while another holder has the lock. */
  retryMs?: number;
}

/** The advisory lock key of an environment: 64 bits of a SHA-256, so no two labs share a lock in practice. */
export function envLockKey(envId: string): string {
  return createHash('sha256').update(`env-lock:${envId}`).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `fn` while holding the environment's lock, so one provisioner operation runs per lab at a time across every
 * worker process: `acquireEnvLock`, `fn` with the lock's signal, then the release, whatever `fn` did.
 */
export async function withEnvLock<T>(
  pool: pg.Pool,
  envId: string,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
  options: EnvLockOptions = {},
): Promise<T> {
  const lock = await acquireEnvLock(pool, envId, signal, options);
  try {
    return await fn(lock.signal);
  } finally {
    await lock.release();
  }
}

/** An environment's lock, held until `release`. */
export interface HeldEnvLock {
  /** Aborts when the outer signal does or when the lock's connection is lost (another worker may then take the lock). */
  signal: AbortSignal;
  /** Gives the lock back; never throws, and a second call returns the first one's promise. */
  release(): Promise<void>;
}

/**
 * Takes the environment's lock: a Postgres session advisory lock on a connection of its own, so a holder that dies (or
 * loses its connection) releases it with its session. While another holder has it, this waits, trying again every
 * `retryMs`, until the signal aborts (then it throws the abort reason). For a caller that has other work to send
 * while the lock is asked for or given back; `withEnvLock` is the plain form.
 */
export async function acquireEnvLock(pool: pg.Pool, envId: string, signal: AbortSignal | undefined, options: EnvLockOptions = {}): Promise<HeldEnvLock> {
  const key = envLockKey(envId);
  const client = await pool.connect();
  const held = new AbortController();
  let connectionLost: Error | undefined;
  // Without a listener, a checked-out client whose connection drops would crash the process.
  const onConnectionError = (error: Error) => {
    connectionLost ??= error;
    held.abort(error);
  };
  client.on('error', onConnectionError);
  const onOuterAbort = () => held.abort(signal?.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const close = (releaseError: Error | undefined) => {
    signal?.removeEventListener('abort', onOuterAbort);
    client.off('error', onConnectionError);
    // A connection in doubt is destroyed rather than reused: that ends its session, and its locks with it.
    client.release(releaseError ?? false);
  };
  try {
    await acquire(client, key, signal, options.retryMs ?? 100);
  } catch (error) {
    // A failed query leaves the connection in doubt; a plain abort does not.
    if (!signal?.aborted) connectionLost ??= error instanceof Error ? error : new Error(String(error));
    close(connectionLost);
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    signal: held.signal,
    release() {
      released ??= (async () => close(connectionLost ?? (await unlock(client, key))))();
      return released;
    },
  };
}

async function acquire(client: pg.PoolClient, key: string, signal: AbortSignal | undefined, retryMs: number): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [key]);
    if (result.rows[0]?.locked) return;
    try {
      await sleep(retryMs, undefined, { signal });
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    }
  }
}

/** Releases the lock; returns the error when that failed (the connection is then not fit for reuse). */
async function unlock(client: pg.PoolClient, key: string): Promise<Error | undefined> {
  try {
    await client.query('select pg_advisory_unlock($1::bigint)', [key]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
