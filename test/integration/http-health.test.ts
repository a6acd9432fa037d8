import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/client.js';
import { healthDoor, readinessChecks, type ReadinessChecks } from '../../src/http/health.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_REDIS_URL } from '../support/redis.js';

interface ReadyBody {
  status: string;
  failed?: string[];
  checks: Record<string, { ok: boolean; error?: string }>;
}

let database: TestDatabase;
let redis: Redis;
let current: HttpServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await redis.quit();
  await database.drop();
});

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(checks: ReadinessChecks, timeoutMs = 5000): Promise<string> {
  const http = createHttpServer({ log: silentLogger });
  http.register(healthDoor(checks, { log: silentLogger, timeoutMs }));
  current = http;
  const { port } = await http.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

async function ready(base: string): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${base}/readyz`);
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

const passing = async () => true;

describe('/healthz', () => {
  it('answers 200 while the process runs, whatever its dependencies say', async () => {
    const failing = async () => {
      throw new Error('down');
    };
    const base = await serve({ postgres: failing, redis: failing, migrations: failing });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('/readyz with the real checks', () => {
  it('is ready against the real Postgres (migrated) and Redis', async () => {
    const base = await serve(readinessChecks(database, redis));
    const { status, body } = await ready(base);
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, migrations: { ok: true } } });
  });

  it('names migrations when one recorded migration is missing', async () => {
    const base = await serve(readinessChecks(database, redis));
    const removed = await database.pool.query<{ id: number }>(
      'delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations) returning *',
    );
    try {
      const { status, body } = await ready(base);
      expect(status).toBe(503);
      expect(body.failed).toEqual(['migrations']);
      expect(body.checks.migrations).toEqual({ ok: false, error: 'migrations is not ready' });
    } finally {
      const row = removed.rows[0] as Record<string, unknown>;
      await database.pool.query('insert into drizzle.__drizzle_migrations (id, hash, created_at) values ($1, $2, $3)', [
        row.id,
        row.hash,
        row.created_at,
      ]);
    }
  });

  it('names postgres and redis when they cannot be reached', async () => {
    const unreachableDb = connectDatabase('postgres://postgres:hunter2@127.0.0.1:1/none');
    const unreachableRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    unreachableRedis.on('error', () => undefined);
    try {
      const base = await serve(readinessChecks(unreachableDb, unreachableRedis), 3000);
      const { status, body } = await ready(base);
      expect(status).toBe(503);
      expect(body.status).toBe('unavailable');
      expect(body.failed).toEqual(['postgres', 'redis', 'migrations']);
      expect(body.checks.postgres?.error).toMatch(/ECONNREFUSED/);
      expect(JSON.stringify(body)).not.toContain('hunter2');
    } finally {
      unreachableRedis.disconnect();
      await unreachableDb.close();
    }
  });
});

describe('/readyz with injected checks', () => {
  const failures: [keyof ReadinessChecks, () => Promise<unknown>][] = [
    ['postgres', async () => Promise.reject(new Error('connection terminated'))],
    ['redis', async () => false],
    ['migrations', async () => false],
  ];

  for (const [name, failing] of failures) {
    it(`returns 503 naming ${name} when only ${name} fails`, async () => {
      const base = await serve({ postgres: passing, redis: passing, migrations: passing, [name]: failing });
      const { status, body } = await ready(base);
      expect(status).toBe(503);
      expect(body.failed).toEqual([name]);
      expect(body.checks[name]?.ok).toBe(false);
      for (const other of ['postgres', 'redis', 'migrations'].filter((check) => check !== name)) {
        expect(body.checks[other]).toEqual({ ok: true });
      }
    });
  }

  it('fails a check that does not answer in time instead of hanging', async () => {
    const hanging = () => new Promise<never>(() => undefined);
    const base = await serve({ postgres: passing, redis: hanging, migrations: passing }, 100);
    const started = performance.now();
    const { status, body } = await ready(base);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(status).toBe(503);
    expect(body.checks.redis).toEqual({ ok: false, error: 'redis did not answer within 100 ms' });
  });

  it('strips credentials from a failure message', async () => {
    const leaky = async () => Promise.reject(new Error('cannot reach postgres://app:s3cret-pass@db:5432/app right now'));
    const base = await serve({ postgres: leaky, redis: passing, migrations: passing });
    const { body } = await ready(base);
    expect(body.checks.postgres?.error).toBe('cannot reach postgres://***@db:5432/app right now');
    expect(JSON.stringify(body)).not.toContain('s3cret');
  });
});
