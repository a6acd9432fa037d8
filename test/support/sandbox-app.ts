import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createTestRedis, type TestRedis } from './redis.js';

/**
 * The bot as `npm start` runs it with no chat platform configured (web half, workers and the sandbox in one process),
 * on a database and a Redis prefix of its own, listening on 127.0.0.1 on a free port; durations short enough to
 * watch a lab's whole life (a 40 s lab is reminded about 5 s after it runs).
 */
export interface SandboxApp {
  app: App;
  /** `http://127.0.0.1:<port>` */
  base: string;
  database: TestDatabase;
  stop(): Promise<void>;
}

export const SANDBOX_TEST_SETTINGS: Record<string, string> = {
  MIN_TTL: '1s',
  REMINDER_OFFSETS: '35s',
  APPROVAL_TIMEOUT: '1h',
  LOCAL_PROVISIONER_STEP_MS: '150',
  PORT: '0',
};

export interface SandboxAppOptions {
  settings?: Record<string, string>;
  log?: Logger;
  host?: string;
  /** Serve the web console beside the sandbox, with PUBLIC_URL the address the server gets (`base`). */
  console?: boolean;
}

export async function startSandboxApp(options: SandboxAppOptions = {}): Promise<SandboxApp> {
  const database = await createTestDatabase();
  let redis: TestRedis | undefined;
  try {
    redis = await createTestRedis('sandbox');
    const config = loadConfig({ ...SANDBOX_TEST_SETTINGS, REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, ...options.settings });
    const app = await startApp({
      config,
      log: options.log ?? silentLogger,
      databaseUrl: database.url,
      mode: 'all',
      host: options.host ?? '127.0.0.1',
      ...(options.console ? { publicUrlFor: (port: number) => `http://127.0.0.1:${port}` } : {}),
    });
    const testRedis = redis;
    return {
      app,
      base: `http://127.0.0.1:${app.port}`,
      database,
      async stop() {
        await app.stop(); // once only, even after a test stopped it
        await testRedis.cleanup();
        await database.drop();
      },
    };
  } catch (error) {
    await redis?.cleanup();
    await database.drop();
    throw error;
  }
}
