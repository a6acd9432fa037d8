import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

export interface EnvLockOptions {
  /** Pause between tries while another holder has the lock. */
  retryMs?: number;
  /**
   * The statement that tries the lock on its connection, for a holder that reads what it needs in the same round trip
   * (the default tries the lock alone). `locked` says whether it got the lock; `wanted: false` that the holder has
   * nothing to do, so it stops waiting (and gives back the lock at once if it got it).
   */
  tryLock?: (client: pg.PoolClient, key: string) => Promise<{ locked: boolean; wanted: boolean }>;
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
  /** False only when a `tryLock` said the lock was not wanted before it got it. */
  held: boolean;
  /** Aborts when the outer signal does or when the lock's connection is lost (another worker may then take the lock). */
  signal: AbortSignal;
  /** Gives the lock back; never throws, and a second call returns the first one's promise. */
  release(): Promise<void>;
  /**
   * Gives the lock back through a statement of the holder's on the lock's connection, which unlocks it beside what
   * else it writes (one round trip for both) and says whether it did; when it did not, it is given back as by
   * `release`. A statement that fails leaves the connection in doubt: it is destroyed, which ends the lock with it.
   */
  releaseIn<T>(statement: (client: pg.PoolClient, key: string) => Promise<{ value: T; unlocked: boolean }>): Promise<T>;
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
  let locked: boolean;
  try {
    locked = await acquire(client, key, signal, options.retryMs ?? 100, options.tryLock ?? tryLockAlone);
  } catch (error) {
    // A failed query leaves the connection in doubt; a plain abort does not.
    if (!signal?.aborted) connectionLost ??= error instanceof Error ? error : new Error(String(error));
    close(connectionLost);
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    held: locked,
    signal: held.signal,
    release() {
      released ??= (async () => close(connectionLost ?? (locked ? await unlock(client, key) : undefined)))();
      return released;
    },
    async releaseIn(statement) {
      if (released) throw new Error('the lock was given back already');
      let settled!: () => void;
      released = new Promise<void>((resolve) => (settled = resolve));
      try {
        let outcome: Awaited<ReturnType<typeof statement>>;
        try {
          outcome = await statement(client, key);
        } catch (error) {
          connectionLost ??= error instanceof Error ? error : new Error(String(error));
          close(connectionLost);
          throw error;
        }
        close(connectionLost ?? (outcome.unlocked || !locked ? undefined : await unlock(client, key)));
        return outcome.value;
      } finally {
        settled();
      }
    },
  };
}

/** Tries until the lock is taken (true) or the holder no longer wants it (whether it was taken). */
async function acquire(
  client: pg.PoolClient,
  key: string,
  signal: AbortSignal | undefined,
  retryMs: number,
  tryLock: NonNullable<EnvLockOptions['tryLock']>,
): Promise<boolean> {
  for (;;) {
    signal?.throwIfAborted();
    const tried = await tryLock(client, key);
    if (tried.locked || !tried.wanted) return tried.locked;
    try {
      await sleep(retryMs, undefined, { signal });
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    }
  }
}

async function tryLockAlone(client: pg.PoolClient, key: string): Promise<{ locked: boolean; wanted: boolean }> {
  const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [key]);
  return { locked: result.rows[0]?.locked === true, wanted: true };
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
