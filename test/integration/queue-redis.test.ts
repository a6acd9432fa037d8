import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkRedis, readEvictionPolicy } from '../../src/queue/redis.js';
import { TEST_REDIS_URL } from '../support/redis.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('checkRedis', () => {
  it('passes against the machine Redis, which runs with noeviction, reading the real policy', async () => {
    const { log, lines } = capturingLogger();
    let read: string | undefined;
    await checkRedis(TEST_REDIS_URL, 'refuse', log, {
      readPolicy: async (source) => (read = await readEvictionPolicy(source)),
    });
    expect(read).toBe('noeviction');
    expect(lines).toEqual([]);
  });

  it('refuses to start when the policy evicts keys (refuse mode)', async () => {
    const { log } = capturingLogger();
    await expect(checkRedis(TEST_REDIS_URL, 'refuse', log, { readPolicy: async () => 'allkeys-lru' })).rejects.toThrow(
      /maxmemory-policy is "allkeys-lru", not "noeviction".*REDIS_EVICTION_CHECK=warn/,
    );
  });

  it('starts with a loud warning naming the reason (warn mode)', async () => {
    const { log, lines } = capturingLogger();
    await checkRedis(TEST_REDIS_URL, 'warn', log, { readPolicy: async () => 'allkeys-lru' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, policy: 'allkeys-lru' });
    expect(lines[0]?.msg).toMatch(/UNSAFE REDIS CONFIGURATION.*lose jobs/);
  });

  it('explains an unreachable Redis in one line naming the fix, without credentials', async () => {
    const port = await closedPort();
    const { log } = capturingLogger();
    const error = await checkRedis(`redis://:hunter2@127.0.0.1:${port}`, 'refuse', log, { timeoutMs: 1000 }).then(
      () => undefined,
      (failure: unknown) => failure as Error,
    );
    expect(error?.message).toBe(`Redis is not reachable at redis://127.0.0.1:${port} (ECONNREFUSED): start redis-server or set REDIS_URL`);
  });
});
