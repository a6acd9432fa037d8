import { Redis } from 'ioredis';
import type { Notifier } from '../../src/chat/types.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import type { Database } from '../../src/db/client.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { createProvisioner } from '../../src/provisioners/index.js';
import type { Provisioner } from '../../src/provisioners/port.js';
import type { RetryOverrides } from '../../src/queue/jobs.js';
import type { JobQueue } from '../../src/queue/jobs.js';
import { createJobQueue, type BullJobQueue } from '../../src/queue/queue.js';
import { startWorkers, type Workers } from '../../src/queue/workers.js';
import { Notifiers, type Services } from '../../src/services.js';
import { createProcessors } from '../../workflows/processors.js';
import { bootstrapRoles } from '../../workflows/roles.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { RecordingNotifier } from './recording-notifier.js';
import { deleteKeysUnder, pollUntil, TEST_REDIS_URL, uniquePrefix } from './redis.js';

export { TEST_REDIS_URL };

/** Users the lifecycle tests act as; the admin and approver are bootstrapped from config. */
export const USERS = {
  alice: { platform: 'slack', id: 'UALICE', name: 'alice' },
  bob: { platform: 'slack', id: 'UBOB', name: 'bob' },
  approver: { platform: 'slack', id: 'UAPPROVER', name: 'ana' },
  admin: { platform: 'slack', id: 'UADMIN', name: 'adam' },
} as const;

/** Short durations so whole lifecycles run in seconds: nothing here sleeps for long. */
export const FAST_SETTINGS: Record<string, string> = {
  MIN_TTL: '1s',
  REMINDER_OFFSETS: '2s,1s',
  APPROVAL_TIMEOUT: '1h',
  LOCAL_PROVISIONER_STEP_MS: '20',
  ADMINS: 'slack:UADMIN',
  APPROVERS: 'slack:UAPPROVER',
  SLACK_SIGNING_SECRET: 'test-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_APPROVALS_CHANNEL: 'CAPPROVALS',
  LOG_LEVEL: 'silent',
};

/** Tests retry fast instead of waiting for production backoffs. */
export const FAST_RETRIES: RetryOverrides = {
  deploy: { backoffMs: 50 },
  destroy: { backoffMs: 50 },
  notify: { backoffMs: 50 },
  remind: { backoffMs: 50 },
  expire: { backoffMs: 50 },
};

export interface TestServices {
  s: Services;
  config: Config;
  database: TestDatabase;
  queue: BullJobQueue;
  notifier: RecordingNotifier;
  prefix: string;
  /** Every timer job's lateness, as the metrics would see it. */
  lateness: { kind: 'remind' | 'expire'; seconds: number }[];
  /** Starts workers on this test's queues (several calls start several independent worker sets). */
  startWorkers(): Promise<Workers>;
  /** Stops workers and queues, drops the database and the test's Redis keys. */
  close(): Promise<void>;
}

/** What a test or a benchmark brings to its Services; the rest is made as `startApp` makes it. */
export interface ServicesParts {
  db: Db;
  /** The environment variables the configuration is read from (nothing else is: the process environment is not). */
  settings?: Record<string, string>;
  jobs: JobQueue;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: silent. */
  log?: Logger;
  notifiers?: Notifier[];
  /** Another provisioner, or a wrapper around the one the settings name. Default: the one the settings name. */
  provisioner?: Provisioner | ((configured: Provisioner) => Provisioner);
}

/**
 * Services as `startApp` assembles them (configuration, the presets catalog, the provisioner, the roles of ADMINS and
 * APPROVERS written to the database), with the parts the caller overrides: the one place tests and benchmarks build
 * them.
 */
export async function buildServices(parts: ServicesParts): Promise<Services> {
  const config = loadConfig(parts.settings ?? {});
  const clock = parts.clock ?? systemClock;
  const log = parts.log ?? silentLogger;
  const configured = () => createProvisioner(config, parts.db, log, clock);
  const provisioner = typeof parts.provisioner === 'function' ? parts.provisioner(configured()) : (parts.provisioner ?? configured());
  const s: Services = {
    config,
    db: parts.db,
    clock,
    log,
    catalog: loadCatalog(config.PRESETS_FILE),
    jobs: parts.jobs,
    notifiers: new Notifiers(parts.notifiers ?? []),
    provisioner,
  };
  await bootstrapRoles(s);
  return s;
}

export interface TestServicesOptions {
  settings?: Record<string, string>;
  clock?: Clock;
  redisUrl?: string;
  /** Worker timings: short lock and stall checks let a surviving worker take over a killed one's job quickly. */
  worker?: { lockDurationMs?: number; stalledIntervalMs?: number };
}

export async function createTestServices(options: TestServicesOptions = {}): Promise<TestServices> {
  const prefix = uniquePrefix('svc');
  const database = await createTestDatabase();
  const parts = await attachServices(database, prefix, options);
  return {
    ...parts,
    database,
    async close() {
      await parts.close();
      await deleteKeys(prefix, options.redisUrl);
      await database.drop();
    },
  };
}

/** Services over an existing database and queue prefix (the worker child process of the crash tests uses this too). */
export async function attachServices(database: Database, prefix: string, options: TestServicesOptions = {}) {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const queue = createJobQueue({ connection: redisUrl, prefix, retries: FAST_RETRIES });
  const notifier = new RecordingNotifier('slack');
  const s = await buildServices({
    db: database.db,
    settings: { ...FAST_SETTINGS, QUEUE_PREFIX: prefix, REDIS_URL: redisUrl, ...options.settings },
    ...(options.clock ? { clock: options.clock } : {}),
    jobs: queue,
    notifiers: [notifier],
  });
  const { config } = s;
  const workerSets: Workers[] = [];
  const lateness: { kind: 'remind' | 'expire'; seconds: number }[] = [];
  return {
    s,
    config,
    queue,
    notifier,
    prefix,
    lateness,
    async startWorkers() {
      const workers = await startWorkers({
        connection: redisUrl,
        prefix,
        concurrency: 4,
        processors: createProcessors(s, { timerLateness: (kind, seconds) => lateness.push({ kind, seconds }) }),
        log: silentLogger,
        retries: FAST_RETRIES,
        ...options.worker,
      });
      workerSets.push(workers);
      return workers;
    },
    async close() {
      await Promise.all(workerSets.map((workers) => workers.stop(2000)));
      await queue.close();
    },
  };
}

/** Removes every Redis key of a test's queue prefix. */
export async function deleteKeys(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` returns a value (not undefined), failing after `timeoutMs`. For state reached by workers. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  let value: T | undefined;
  await pollUntil(
    async () => {
      value = await check();
      return value !== undefined;
    },
    { timeoutMs, intervalMs: 25, message: () => `timed out after ${timeoutMs} ms waiting for ${what}` },
  );
  return value as T;
}
