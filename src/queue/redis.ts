import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';

/**
 * Who uses a connection decides how it behaves while Redis is away. Workers block on Redis and must wait for it
 * (BullMQ requires `maxRetriesPerRequest: null`); producers answer users, so their commands fail fast and the caller
 * can say "temporarily unavailable, try again".
 */
export type RedisRole = 'producer' | 'worker';

/** A Redis URL (the connection is created and closed by its user) or a connection owned by the caller. */
export type RedisTarget = string | Redis;

export function redisOptions(role: RedisRole): RedisOptions {
  const reconnect = { retryStrategy: (times: number) => Math.min(times * 200, 2000) };
  if (role === 'worker') return { ...reconnect, maxRetriesPerRequest: null };
  return { ...reconnect, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
}

/** A connection for BullMQ. Errors are logged once per outage instead of once per reconnect attempt. */
export function createRedis(url: string, role: RedisRole, log?: Logger): Redis {
  const connection = new Redis(url, redisOptions(role));
  let reported = false;
  connection.on('ready', () => {
    reported = false;
  });
  connection.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    log?.warn({ err: error, redis: describeRedisUrl(url), role }, 'Redis connection error; reconnecting');
  });
  return connection;
}

/** The connection for a target, and how to let go of it: only connections made here are closed here. */
export function resolveRedis(target: RedisTarget, role: RedisRole, log?: Logger): { connection: Redis; release(): Promise<void> } {
  if (typeof target !== 'string') return { connection: target, release: async () => undefined };
  const connection = createRedis(target, role, log);
  return { connection, release: () => closeRedis(connection) };
}

/** Quits politely when connected; otherwise drops the socket (a quit would wait for a reconnect that may never come). */
export async function closeRedis(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  connection.disconnect();
}

/** The URL without credentials, for messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : '';
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${database}`;
  } catch {
    return 'the configured REDIS_URL';
  }
}

/** What the eviction check needs from a connection (a subset, so tests can hand in a fake). */
export interface PolicySource {
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
  info(section: string): Promise<string>;
}

export type PolicyReader = (source: PolicySource) => Promise<string | undefined>;

/** Reads `maxmemory-policy` with CONFIG GET, or from INFO memory where CONFIG is disabled (managed Redis). */
export const readEvictionPolicy: PolicyReader = async (source) => {
  try {
    const reply = await source.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  } catch {
    // CONFIG renamed or refused: INFO carries the same value
  }
  try {
    const info = await source.info('memory');
    return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  } catch {
    return undefined;
  }
};

export type EvictionCheckMode = 'refuse' | 'warn';

/**
 * BullMQ keeps jobs (and so every timer of an environment) in Redis keys; a Redis that evicts keys under memory pressure loses
 * them silently. Refuses (throws) or warns loudly unless the policy is `noeviction`.
 */
export function assertNoEviction(policy: string | undefined, mode: EvictionCheckMode, log: Logger, url: string): void {
  if (policy === 'noeviction') return;
  const found = policy === undefined ? 'could not be read' : `is "${policy}"`;
  const reason =
    `Redis at ${describeRedisUrl(url)}: maxmemory-policy ${found}, not "noeviction"; Redis may evict BullMQ keys and ` +
    'lose jobs and timers. Fix: set "maxmemory-policy noeviction" in redis.conf (or CONFIG SET maxmemory-policy noeviction)';
  if (mode === 'refuse') throw new Error(`${reason}, or set REDIS_EVICTION_CHECK=warn to start anyway.`);
  log.warn({ policy: policy ?? null, check: 'redis-eviction-policy' }, `UNSAFE REDIS CONFIGURATION: ${reason}.`);
}

export interface CheckRedisOptions {
  timeoutMs?: number;
  readPolicy?: PolicyReader;
}

/**
 * Start-up check: Redis answers within a short timeout, and its eviction policy keeps jobs. Throws an Error whose
 * message is one line naming the fix.
 */
export async function checkRedis(url: string, mode: EvictionCheckMode, log: Logger, options: CheckRedisOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() rejects with a generic "Connection is closed"; the socket error says why.
  let socketError: unknown;
  probe.on('error', (error: unknown) => {
    socketError ??= error;
  });
  try {
    const failure = await probe.connect().then(
      () => undefined,
      (error: unknown) => socketError ?? error,
    );
    if (failure !== undefined) {
      throw new Error(
        `Redis is not reachable at ${describeRedisUrl(url)} (${reasonOf(failure)}): start redis-server or set REDIS_URL`,
        { cause: failure },
      );
    }
    const policy = await (options.readPolicy ?? readEvictionPolicy)(probe);
    assertNoEviction(policy, mode, log, url);
  } finally {
    probe.disconnect();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return error.message.split('\n')[0] ?? error.name;
  }
  return String(error);
}
