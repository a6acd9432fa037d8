import type { FastifyRequest } from 'fastify';
import { apiDoor } from './api/door.js';
import { observeAuditAppends } from './audit/append.js';
import { setRetentionDays } from './audit/retention.js';
import { startPlatforms, type PlatformHandle } from './chat/platforms.js';
import { SANDBOX_ROLES } from './chat/sandbox/people.js';
import { SANDBOX_PATHS } from './chat/sandbox/page.js';
import { refuseSandboxWithRealResources } from './chat/sandbox/start.js';
import type { Notifier } from './chat/types.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { consoleDoor } from './console/door.js';
import type { OidcDiscoveryOptions } from './console/oidc-client.js';
import { connectDatabase, runMigrations, type Database } from './db/client.js';
import { loadCatalog } from './domain/presets.js';
import { AppError } from './errors.js';
import { healthDoor, readinessChecks } from './http/health.js';
import { createMetrics, labCountsFrom, metricsDoor, type AppMetrics } from './http/metrics.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import type { Logger } from './log.js';
import { passkeyHostProblem } from './domain/relying-party.js';
import { webAssetsDoor } from './web/assets.js';
import { homeDoor, type PageLink } from './web/home.js';
import { foreignRequestReason } from './web/local-only.js';
import { createProvisioner } from './provisioners/index.js';
import type { Provisioner } from './provisioners/port.js';
import type { RetryOverrides } from './queue/jobs.js';
import { createJobQueue, type BullJobQueue } from './queue/queue.js';
import { checkRedis, createRedis } from './queue/redis.js';
import { startWorkers, type Workers } from './queue/workers.js';
import { Notifiers, type Services } from './services.js';
import { createProcessors } from '../workflows/processors.js';
import { runReconcile } from '../workflows/reconcile.js';
import { checkCredentialsKeyAtStart } from '../workflows/cloud-key-vault.js';
import { bootstrapRoles } from '../workflows/roles.js';

export type AppMode = 'all' | 'web' | 'worker';

export interface AppOptions {
  config: Config;
  log: Logger;
  /** Postgres to use (DATABASE_URL or the embedded server's URL). */
  databaseUrl: string;
  mode: AppMode;
  clock?: Clock;
  /** Tests: extra notifiers (a recording one) instead of, or besides, the configured platforms. */
  notifiers?: Notifier[];
  provisioner?: Provisioner;
  /** Tests: faster retries and stall detection. */
  retries?: RetryOverrides;
  worker?: { lockDurationMs?: number; stalledIntervalMs?: number };
  /** Host to listen on; the default is every interface. */
  host?: string;
  /**
   * Tests, the demo and the bench, which listen on a free port (PORT 0): PUBLIC_URL from the port the server got.
   * It is known once the server listens, after every door is registered; the chat platforms read it when they render
   * button and dialog URLs.
   */
  publicUrlFor?: (port: number) => string;
  /** Tests: how the console reaches a local OIDC issuer (over http, which openid-client refuses by default). */
  oidcDiscovery?: OidcDiscoveryOptions;
}

export interface App {
  services: Services;
  database: Database;
  queue: BullJobQueue;
  metrics: AppMetrics;
  http: HttpServer | undefined;
  /** The port the web half listens on (0 when it does not). */
  port: number;
  workers: Workers | undefined;
  platforms: PlatformHandle[];
  /** Graceful stop: no new requests or jobs, running jobs finish within SHUTDOWN_TIMEOUT, connections close. */
  stop(): Promise<void>;
  /**
   * Settles once the app has stopped by itself, after a failure it cannot get past with its own settings (a
   * CREDENTIALS_KEY that no longer opens the stored check value); the entry point then exits.
   */
  stoppedByItself: Promise<void>;
}

/**
 * Builds and starts the bot: migrations, roles, the web half (HTTP routes and chat adapters), the worker half (job
 * processors, schedules and a first reconcile), or both. The single place where the parts are wired together.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { log } = options;
  let config = options.config;
  const clock = options.clock ?? systemClock;
  refuseSandboxWithRealResources(config);
  await checkRedis(config.REDIS_URL, config.REDIS_EVICTION_CHECK, log);
  const catalog = loadCatalog(config.PRESETS_FILE);
  const database = connectDatabase(options.databaseUrl);
  await runMigrations(database, { log });
  await checkCredentialsKeyAtStart(database.db, config).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  await setRetentionDays(database.db, config.AUDIT_RETENTION_DAYS);

  const redis = createRedis(config.REDIS_URL, 'producer', log);
  const queue = createJobQueue({ connection: redis, prefix: config.QUEUE_PREFIX, log, ...(options.retries ? { retries: options.retries } : {}) });
  const metrics = createMetrics({
    log,
    sources: { jobCounts: () => queue.jobCounts(), labCounts: labCountsFrom(database.pool) },
  });
  const web = options.mode !== 'worker';
  const http = web
    ? createHttpServer({
        log,
        trustProxy: config.TRUST_PROXY,
        observeRequest: (labels, seconds) => metrics.httpRequest.observe(labels, seconds),
      })
    : undefined;
  observeAuditAppends((seconds) => metrics.auditAppend.observe(seconds));
  // Filled in below once stop() exists: a failure that must stop this process may come from a request or a job.
  let stopByItself: (error: AppError) => void = () => undefined;
  const services: Services = {
    config,
    db: database.db,
    clock,
    log,
    catalog,
    jobs: queue,
    notifiers: new Notifiers(options.notifiers ?? []),
    provisioner: options.provisioner ?? createProvisioner(config, database.db, log, clock),
    processMustStop: (error) => stopByItself(error),
  };
  await bootstrapRoles(services);

  const publicUrl = options.publicUrlFor ? urlOfPort(options.publicUrlFor) : undefined;
  const platforms = await startPlatforms(services, {
    web,
    workers: options.mode !== 'web',
    metrics,
    skip: options.notifiers?.map((notifier) => notifier.platform) ?? [],
    ...(publicUrl ? { publicUrl: publicUrl.read } : {}),
  });
  for (const platform of platforms) services.notifiers.register(platform.notifier);
  const sandbox = platforms.some((platform) => platform.notifier.platform === 'sandbox');
  if (sandbox) await bootstrapRoles(services, SANDBOX_ROLES);
  const sandboxPage: PageLink = { href: SANDBOX_PATHS.page, title: 'Sandbox', description: 'Try the bot in this browser, with simulated people and no chat workspace.' };
  const pages: PageLink[] = sandbox ? [sandboxPage] : [];
  // The web console is on when browsers have an address to reach the bot at; it then answers `/` itself, sending
  // visitors without a session to the sandbox when it is on and answers them (from this machine), else to sign in.
  const consoleOn = config.PUBLIC_URL !== undefined || publicUrl !== undefined;
  const visitorPage = sandbox ? { ...sandboxPage, serves: (request: FastifyRequest) => foreignRequestReason(request) === undefined } : undefined;
  if (http) {
    const doors = [
      healthDoor(readinessChecks(database, redis), { log }),
      metricsDoor(metrics),
      webAssetsDoor(),
      apiDoor({ s: services, redis }),
      consoleOn ? consoleDoor({ services, redis, ...(visitorPage ? { visitorPage } : {}), ...(options.oidcDiscovery ? { oidcDiscovery: options.oidcDiscovery } : {}) }) : homeDoor(pages),
      ...platforms.flatMap((platform) => platform.door ?? []),
    ];
    for (const door of doors) http.register(door);
  }

  let workers: Workers | undefined;
  if (options.mode !== 'web') {
    workers = await startWorkers({
      connection: config.REDIS_URL,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      processors: createProcessors(services, { timerLateness: (kind, seconds) => metrics.timerLateness.observe({ kind }, seconds) }),
      log,
      onEvent: (event) => metrics.jobFinished.observe({ queue: event.queue, outcome: event.type }, event.durationMs / 1000),
      schedules: { reconcileEveryMs: config.RECONCILE_INTERVAL * 1000 },
      onProcessMustStop: (error) => stopByItself(error),
      ...(options.retries ? { retries: options.retries } : {}),
      ...options.worker,
    });
    await runReconcile(services);
  }
  const port = http ? (await http.listen(config.PORT, options.host)).port : 0;
  if (publicUrl) {
    config = withPublicUrl(config, publicUrl.settle(port));
    services.config = config;
  }
  log.info({ mode: options.mode, port, provisioner: services.provisioner.name, platforms: platforms.map((p) => p.notifier.platform) }, 'aithroyz chatops started');
  if (http) logDoors(log, port, platforms, pages, consoleOn ? config.PUBLIC_URL : undefined);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await http?.close();
      await workers?.stop(config.SHUTDOWN_TIMEOUT * 1000);
      for (const platform of platforms) await platform.stop();
      await queue.close();
      await redis.quit().catch(() => undefined);
      await database.close();
      log.info('aithroyz chatops stopped');
    })();
    return stopping;
  };
  let settleStoppedByItself!: () => void;
  const stoppedByItself = new Promise<void>((resolve) => (settleStoppedByItself = resolve));
  let stoppingByItself = false;
  stopByItself = (error) => {
    if (stoppingByItself) return;
    stoppingByItself = true;
    // One line, as at start-up: it names the variable, never its value.
    log.error({ code: error.code }, `${error.message} Stopping: running jobs go back to the queue for a process with the right key.`);
    stop().then(settleStoppedByItself, (stopError: unknown) => {
      log.error({ err: stopError }, 'shutdown failed');
      settleStoppedByItself();
    });
  };
  return { services, database, queue, metrics, http, port, workers, platforms, stop, stoppedByItself };
}

/**
 * What a newcomer reads on the terminal: which doors are open and where, and the sandbox's address to open in a
 * browser ("Try it").
 */
function logDoors(log: Logger, port: number, platforms: PlatformHandle[], pages: readonly PageLink[], consoleUrl: string | undefined): void {
  const base = `http://localhost:${port}`;
  const chat = platforms.map((platform) => platform.notifier.platform).filter((platform) => platform !== 'sandbox');
  const doors = [
    `health ${base}/healthz and ${base}/readyz`,
    `metrics ${base}/metrics`,
    ...pages.map((page) => `${page.title.toLowerCase()} ${base}${page.href}`),
    ...(consoleUrl ? [`console ${consoleUrl}/`] : []),
    chat.length > 0 ? `chat: ${chat.join(', ')}` : 'chat: none configured (see the README to connect Slack or Mattermost)',
  ];
  log.info({ doors }, `open doors: ${doors.join('; ')}`);
  const passkeysOff = consoleUrl === undefined ? undefined : passkeyHostProblem(consoleUrl);
  if (passkeysOff) log.warn(`console passkeys are off: PUBLIC_URL cannot carry them, since ${passkeysOff}; sign-in links from chat still work`);
  if (pages.some((page) => page.href === SANDBOX_PATHS.page)) log.info(`Try it: ${base}${SANDBOX_PATHS.page}`);
}

/** A URL derived from the port the server gets: reading it earlier fails (and a job that needed it is retried). */
function urlOfPort(urlFor: (port: number) => string): { read(): string; settle(port: number): string } {
  let url: string | undefined;
  return {
    read() {
      if (url === undefined) throw new AppError('unavailable', 'The public URL is known once the HTTP server listens.', { retry: true });
      return url;
    },
    settle(port) {
      url = urlFor(port).replace(/\/+$/, '');
      return url;
    },
  };
}

/** The config with PUBLIC_URL (and the Mattermost callback base derived from it) set to `publicUrl`. */
function withPublicUrl(config: Config, publicUrl: string): Config {
  const base = publicUrl.replace(/\/+$/, '');
  return { ...config, PUBLIC_URL: base, mattermost: config.mattermost ? { ...config.mattermost, publicUrl: base } : undefined };
}
