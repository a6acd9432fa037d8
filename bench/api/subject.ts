import { and, count, eq } from 'drizzle-orm';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { chatActor } from '../../src/domain/actor.js';
import { silentLogger } from '../../src/log.js';
import { createApiKey } from '../../workflows/api-keys.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { uniquePrefix } from '../../test/support/redis.js';
import { deleteKeys, TEST_REDIS_URL } from '../../test/support/services.js';

/** The member whose key the bench uses: their labs are what `GET /environments` lists. */
export const API_BENCH_OWNER = { platform: 'slack', id: 'U0APIBENCH', name: 'bench' } as const;
const LABS = 20;

export interface ApiSubject {
  app: App;
  databaseUrl: string;
  url: string;
  key: string;
  prefix: string;
  /** How many `api.request` entries the key has written so far. */
  requestsAudited(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The bot's web half (`startApp`, mode `web`) on a database of its own: a member with 20 labs and a read key, and a rate
 * limit high enough not to refuse the bench (the limit is still counted in Redis for every request).
 */
export async function startApiSubject(): Promise<ApiSubject> {
  const prefix = uniquePrefix('bench-api');
  let database: TestDatabase | undefined;
  let app: App | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await app?.stop();
      await database?.drop();
      await deleteKeys(prefix);
    })();
    return stopping;
  };
  try {
    database = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      API_RATE_LIMIT: '100000',
      MAX_ACTIVE_PER_USER: String(LABS),
    });
    app = await startApp({ config, log: silentLogger, databaseUrl: database.url, mode: 'web', host: '127.0.0.1' });
    const actor = chatActor(API_BENCH_OWNER);
    for (let index = 0; index < LABS; index += 1) {
      await requestEnvironment(app.services, { actor, channelId: '', presetId: 'soc-platform', requestId: `bench-lab-${index}` });
    }
    const created = await createApiKey(app.services, { actor, name: 'bench', scope: 'read', lifetimeSeconds: 86_400, requestId: 'bench-key' });
    const started = app;
    const db = database.db;
    return {
      app: started,
      databaseUrl: database.url,
      url: `http://127.0.0.1:${started.port}/api/v1/environments`,
      key: created.key,
      prefix: created.row.prefix,
      async requestsAudited() {
        const [row] = await db
          .select({ value: count() })
          .from(auditLog)
          .where(and(eq(auditLog.eventType, 'api.request'), eq(auditLog.actorId, created.row.prefix), eq(auditLog.outcome, 'ok')));
        return row?.value ?? 0;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const API_BENCH_LABS = LABS;
