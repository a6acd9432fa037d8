import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireEnvLock, withEnvLock } from '../../src/provisioners/lock.js';
import { pollUntil } from '../support/redis.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
});

afterAll(async () => {
  await database.drop();
});

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Backends of this test database holding an advisory lock. */
async function advisoryHolders(): Promise<number[]> {
  const result = await database.pool.query<{ pid: number }>(
    "select l.pid from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and l.granted and d.datname = current_database()",
  );
  return result.rows.map((row) => row.pid);
}

/** Sessions of this test database whose last statement tried an advisory lock: holders that got it, and waiters. */
async function sessionsLastTryingTheLock(): Promise<number> {
  const result = await database.pool.query<{ count: string }>(
    "select count(*) from pg_stat_activity where datname = current_database() and query like 'select pg_try_advisory_lock%'",
  );
  return Number(result.rows[0]?.count ?? 0);
}

describe('withEnvLock', () => {
  it('keeps a second holder out until the first one is done, then lets it in', async () => {
    const order: string[] = [];
    const firstMayFinish = deferred();
    const first = withEnvLock(database.pool, 'env-lock01', undefined, async () => {
      order.push('first:start');
      await firstMayFinish.promise;
      order.push('first:end');
      return 'first';
    });
    await pollUntil(() => order.length === 1);
    const second = withEnvLock(database.pool, 'env-lock01', undefined, async () => void order.push('second'), { retryMs: 20 });
    // Another lab is not affected.
    await withEnvLock(database.pool, 'env-other1', undefined, async () => void order.push('other'));
    // The second holder has asked for the lock and been turned away (its session's last query is the try), yet waits.
    await pollUntil(async () => (await sessionsLastTryingTheLock()) >= 2);
    expect(order).toEqual(['first:start', 'other']);
    firstMayFinish.resolve();
    expect(await first).toBe('first');
    await second;
    expect(order).toEqual(['first:start', 'other', 'first:end', 'second']);
    expect(await advisoryHolders()).toEqual([]);
  });

  it('gives up waiting when the signal aborts, without running its function', async () => {
    const holding = deferred();
    const release = deferred();
    const first = withEnvLock(database.pool, 'env-lock02', undefined, async () => {
      holding.resolve();
      await release.promise;
    });
    await holding.promise;
    let ran = false;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('job timed out')), 100);
    await expect(withEnvLock(database.pool, 'env-lock02', controller.signal, async () => void (ran = true), { retryMs: 20 })).rejects.toThrow(
      'job timed out',
    );
    expect(ran).toBe(false);
    release.resolve();
    await first;
  });

  it('releases the lock when the function throws', async () => {
    await expect(withEnvLock(database.pool, 'env-lock03', undefined, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withEnvLock(database.pool, 'env-lock03', undefined, async () => 'again')).toBe('again');
  });

  it('is released when the holder connection ends, as when its process dies', async () => {
    const holderPool = new pg.Pool({ connectionString: database.url, max: 1 });
    holderPool.on('error', () => undefined);
    const release = deferred();
    let holderSignal: AbortSignal | undefined;
    const holder = withEnvLock(holderPool, 'env-lock04', undefined, async (signal) => {
      holderSignal = signal;
      await release.promise;
    });
    await pollUntil(async () => (await advisoryHolders()).length === 1);
    const [pid] = await advisoryHolders();
    await database.pool.query('select pg_terminate_backend($1)', [pid]);

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('still locked')), 3000);
    expect(await withEnvLock(database.pool, 'env-lock04', controller.signal, async () => 'taken over', { retryMs: 20 })).toBe('taken over');
    clearTimeout(timer);
    // The old holder learns that its lock is gone and ends without crashing the process.
    await pollUntil(() => holderSignal?.aborted === true);
    release.resolve();
    await holder;
    await holderPool.end();
  });

  it('held through acquireEnvLock, keeps others out until released, and a second release is the first one', async () => {
    const lock = await acquireEnvLock(database.pool, 'env-lock05', undefined);
    expect(await advisoryHolders()).toHaveLength(1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('still held')), 150);
    await expect(acquireEnvLock(database.pool, 'env-lock05', controller.signal, { retryMs: 20 })).rejects.toThrow('still held');
    const released = lock.release();
    expect(lock.release()).toBe(released);
    await released;
    expect(await advisoryHolders()).toEqual([]);
    expect(lock.signal.aborted).toBe(false);
    const again = await acquireEnvLock(database.pool, 'env-lock05', undefined);
    await again.release();
  });

  it('with a tryLock that reads beside the lock, stops waiting once what it reads says the lock is not wanted', async () => {
    const holder = await acquireEnvLock(database.pool, 'env-lock06', undefined);
    let tries = 0;
    const tryLock = async (client: pg.PoolClient, key: string) => {
      tries += 1;
      const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [key]);
      return { locked: result.rows[0]?.locked === true, wanted: tries < 3 };
    };
    const notWanted = await acquireEnvLock(database.pool, 'env-lock06', undefined, { retryMs: 10, tryLock });
    expect({ held: notWanted.held, tries }).toEqual({ held: false, tries: 3 });
    await notWanted.release();
    expect(await advisoryHolders()).toHaveLength(1);
    await holder.release();

    tries = 0;
    const wantedAtFirst = await acquireEnvLock(database.pool, 'env-lock06', undefined, { retryMs: 10, tryLock });
    expect({ held: wantedAtFirst.held, tries }).toEqual({ held: true, tries: 1 });
    await wantedAtFirst.release();
    expect(await advisoryHolders()).toEqual([]);
  });
});
