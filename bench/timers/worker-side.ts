import type { Config } from '../../src/config.js';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { createJobQueue, type BullJobQueue } from '../../src/queue/queue.js';
import { startWorkers, type JobEvent, type Workers } from '../../src/queue/workers.js';
import type { Services } from '../../src/services.js';
import { buildServices } from '../../test/support/services.js';
import { createProcessors, type ProcessorHooks } from '../../workflows/processors.js';
import { CountingNotifier } from './counting-notifier.js';

export interface WorkerSideOptions {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** Settings on top of the defaults (WORKER_CONCURRENCY, REMINDER_OFFSETS, ...); the local provisioner runs at zero delay. */
  settings?: Record<string, string>;
  /** Silent unless given (to look into a failing run). */
  log?: Logger;
}

/** One worker process's worth of the bot: its own pool, producer and notifier, as `startApp` builds them in `worker` mode (roles included). */
export interface WorkerSide {
  s: Services;
  config: Config;
  database: Database;
  queue: BullJobQueue;
  notifier: CountingNotifier;
  /** Failed attempts seen by this side's workers (a benchmark that fails jobs measures nothing). */
  failures: JobEvent[];
  /** Starts a worker set with the configured concurrency and the production job policy. */
  startWorkers(hooks?: ProcessorHooks): Promise<Workers>;
  close(): Promise<void>;
}

export async function createWorkerSide(options: WorkerSideOptions): Promise<WorkerSide> {
  const log = options.log ?? silentLogger;
  const database = connectDatabase(options.databaseUrl);
  const queue = createJobQueue({ connection: options.redisUrl, prefix: options.prefix, log });
  const notifier = new CountingNotifier('slack');
  const s = await buildServices({
    db: database.db,
    settings: { LOG_LEVEL: 'silent', LOCAL_PROVISIONER_STEP_MS: '0', ...options.settings, REDIS_URL: options.redisUrl, QUEUE_PREFIX: options.prefix },
    log,
    jobs: queue,
    notifiers: [notifier],
  });
  const { config } = s;
  const sets: Workers[] = [];
  const failures: JobEvent[] = [];
  return {
    s,
    config,
    database,
    queue,
    notifier,
    failures,
    async startWorkers(hooks = {}) {
      const workers = await startWorkers({
        connection: options.redisUrl,
        prefix: options.prefix,
        concurrency: config.WORKER_CONCURRENCY,
        processors: createProcessors(s, hooks),
        log,
        onEvent: (event) => {
          if (event.type === 'failed') failures.push(event);
        },
      });
      sets.push(workers);
      return workers;
    },
    async close() {
      await Promise.all(sets.map((workers) => workers.stop(5000)));
      await queue.close();
      await database.close();
    },
  };
}
