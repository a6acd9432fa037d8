import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { withoutCredentials } from './config.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import type { Logger } from './log.js';

/** The stores the demo runs on, and how it leaves them as it found them. */

export interface DemoDatabase {
  url: string;
  /** For the demo's first line: which Postgres it uses. */
  description: string;
  /** Drops what the demo created (the embedded cluster's demo database) and stops what it started. */
  release(): Promise<void>;
}

/**
 * `databaseUrl` when given (its environments and audit entries stay there). Otherwise the embedded Postgres from the npm
 * package, in its own cluster under `DATA_DIR/demo-postgres` (initialised on the first run, reused afterwards) on a
 * free port, with a fresh database for this run that is dropped at the end.
 */
export async function demoDatabase(databaseUrl: string | undefined, dataDir: string, log: Logger): Promise<DemoDatabase> {
  if (databaseUrl) {
    return { url: databaseUrl, description: `Postgres at ${withoutCredentials(databaseUrl)}`, release: async () => undefined };
  }
  const name = `demo_${randomBytes(4).toString('hex')}`;
  const folder = join(dataDir, 'demo-postgres');
  const embedded = await startEmbeddedPostgres(folder, log, { port: 0, database: name });
  return {
    url: embedded.url,
    description: `the embedded Postgres in ${embedded.dataDir} (port ${embedded.port})`,
    async release() {
      try {
        await dropDatabase(embedded.url, name);
      } finally {
        await embedded.stop();
      }
    },
  };
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

/** A BullMQ prefix of the demo's own, so it shares Redis with a running bot without touching its jobs. */
export function demoQueuePrefix(): string {
  return `aithroyz-demo-${randomBytes(4).toString('hex')}`;
}

/** Removes every Redis key under the demo's prefix. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
