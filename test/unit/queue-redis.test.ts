import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { assertNoEviction, describeRedisUrl, readEvictionPolicy, redisOptions, type PolicySource } from '../../src/queue/redis.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

const url = 'redis://:s3cret@redis.internal:6380/2';

describe('assertNoEviction', () => {
  it('accepts noeviction silently in both modes', () => {
    const { log, lines } = capturingLogger();
    assertNoEviction('noeviction', 'refuse', log, url);
    assertNoEviction('noeviction', 'warn', log, url);
    expect(lines).toEqual([]);
  });

  it('refuses another policy with the reason and the fix, without the password', () => {
    const { log } = capturingLogger();
    const refusal = (() => {
      try {
        assertNoEviction('allkeys-lru', 'refuse', log, url);
      } catch (error) {
        return (error as Error).message;
      }
      return 'did not throw';
    })();
    expect(refusal).toMatch(/maxmemory-policy is "allkeys-lru", not "noeviction"/);
    expect(refusal).toMatch(/lose jobs/);
    expect(refusal).toMatch(/maxmemory-policy noeviction/);
    expect(refusal).toMatch(/REDIS_EVICTION_CHECK=warn/);
    expect(refusal).toContain('redis://redis.internal:6380/2');
    expect(refusal).not.toContain('s3cret');
    expect(refusal).not.toContain('\n');
  });

  it('refuses when the policy cannot be read', () => {
    const { log } = capturingLogger();
    expect(() => assertNoEviction(undefined, 'refuse', log, url)).toThrow(/could not be read/);
  });

  it('warns loudly, with the reason, in warn mode', () => {
    const { log, lines } = capturingLogger();
    assertNoEviction('volatile-lru', 'warn', log, url);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, policy: 'volatile-lru' });
    expect(lines[0]?.msg).toMatch(/^UNSAFE REDIS CONFIGURATION: .*"volatile-lru".*lose jobs/);
  });
});

describe('readEvictionPolicy', () => {
  it('reads CONFIG GET', async () => {
    const source: PolicySource = {
      config: async () => ['maxmemory-policy', 'allkeys-random'],
      info: async () => {
        throw new Error('not expected');
      },
    };
    expect(await readEvictionPolicy(source)).toBe('allkeys-random');
  });

  it('falls back to INFO memory when CONFIG is disabled', async () => {
    const source: PolicySource = {
      config: async () => {
        throw new Error("ERR unknown command 'CONFIG'");
      },
      info: async () => '# Memory\r\nused_memory:1\r\nmaxmemory_policy:allkeys-lru\r\n',
    };
    expect(await readEvictionPolicy(source)).toBe('allkeys-lru');
  });

  it('gives undefined when neither answers', async () => {
    const fail = async (): Promise<never> => {
      throw new Error('refused');
    };
    expect(await readEvictionPolicy({ config: fail, info: fail })).toBeUndefined();
  });
});

describe('connections', () => {
  it('lets workers wait for Redis and producers fail fast', () => {
    expect(redisOptions('worker').maxRetriesPerRequest).toBeNull();
    expect(redisOptions('producer')).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
  });

  it('describes a URL without credentials', () => {
    expect(describeRedisUrl('redis://user:pw@127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(describeRedisUrl('rediss://cache.example')).toBe('rediss://cache.example:6379');
  });
});
