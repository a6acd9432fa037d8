import { Queue, Worker } from 'bullmq';
import { chatActor } from '../../src/domain/actor.js';
import { and, between, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { environments } from '../../src/db/schema/environments.js';
import { redisOptions } from '../../src/queue/redis.js';
import { decidePlan } from '../../workflows/decide.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import type { SuiteOptions } from '../framework/types.js';
import { deleteKeys } from '../../test/support/services.js';
import { pollUntil, uniquePrefix } from '../../test/support/redis.js';
import { startChild, type ChildProcessHandle } from '../framework/helper-process.js';
import { seedPendingPlans } from '../timers/seed.js';
import { createWorkerSide } from '../timers/worker-side.js';
import type { WorkerAnswer, WorkerMemory, WorkerRequest } from './worker-process.js';

/** Where the pipeline runs: a database of its own and a redis-server of its own, so that its command counts are the bench's alone. */
export interface PipelineStores {
  redis: PrivateRedis;
  database: TestDatabase;
  close(): Promise<void>;
}

/** Opens the stores of a pipeline suite, registering their removal with the suite's clean-up. */
export async function openPipelineStores(options: SuiteOptions): Promise<PipelineStores> {
  const redis = await startPrivateRedis();
  options.cleanup(() => redis.stop());
  const database = await createTestDatabase();
  options.cleanup(() => database.drop());
  return {
    redis,
    database,
    async close() {
      await database.drop();
      await redis.stop();
    },
  };
}

export interface PipelineOptions {
  labs: number;
  /** Worker sets, each like one worker process: its own pool and connections, WORKER_CONCURRENCY jobs per queue. */
  workerSets: number;
  /** Approvals in flight at once (approvers clicking). */
  approvalsInFlight: number;
  redisUrl: string;
  /** Where ids start, so several runs can share a database. */
  firstIndex: number;
}

const APPROVER = { platform: 'slack', id: 'U0APPROVER', name: 'ana' } as const;
/** Needs approval; five tools, so a deploy is five simulated steps. */
const PRESET = 'soc-platform';
const TIMEOUT_MS = 300_000;

/**
 * Labs per second from approval to running: `labs` plans wait for approval; the clock starts with the first
 * `decidePlan` and stops when Postgres has every lab running. Each worker set is a process of its own (as
 * `npm run worker`), with the local provisioner at zero step delay and a counting notifier, so what is left is the
 * bot's own work: the decisions, the deploy jobs, the audit entries, the timers and the notify jobs they enqueue.
 * `warmUpLabs` go through first, unclocked: a worker process runs for days, and what a fresh one spends compiling its
 * hot paths is paid once per process, not per lab. The counts per lab are over all the labs, the warm-up's included.
 */
export interface PipelineFigures {
  labsPerSecond: number;
  /** Postgres transactions committed or rolled back in the bench's database, per lab, the bench's own polling left out. */
  transactionsPerLab: number;
  /** Commands the Redis server ran (those inside scripts included), per lab. */
  redisCommandsPerLab: number;
}

export async function measurePipeline(database: TestDatabase, options: PipelineOptions & { warmUpLabs: number }): Promise<PipelineFigures> {
  const transactionsBefore = await transactionsOf(database);
  const commandsBefore = await redisCommands(options.redisUrl);
  let rig: PipelineRig | undefined;
  let labsPerSecond: number;
  let polls: number;
  try {
    rig = await openPipelineRig(database, options);
    await rig.approve(options.warmUpLabs);
    const elapsedMs = await rig.approve(options.labs);
    labsPerSecond = (options.labs * 1000) / elapsedMs;
  } finally {
    polls = rig?.polls() ?? 0;
    await rig?.stop();
  }
  // Counted once every process has closed its connections: a backend reports its transactions when it ends at the latest.
  const labsRun = options.warmUpLabs + options.labs;
  const redisCommandsPerLab = ((await redisCommands(options.redisUrl)) - commandsBefore) / labsRun;
  await rig.clear();
  const transactionsPerLab = ((await settledTransactionsOf(database)) - transactionsBefore - polls) / labsRun;
  return { labsPerSecond, transactionsPerLab, redisCommandsPerLab };
}

/** A worker process's memory after `labs` labs went through it, and after as many more again as `thenLabs` says. */
export interface WorkerMemoryFigures {
  /** Resident set size and heap used after the first labs, after a full garbage collection. */
  afterFirst: WorkerMemory;
  /** The same after all of them. */
  afterAll: WorkerMemory;
}

/**
 * One worker process (as in the pipeline) takes `first` labs from approval to running, then `total - first` more; its
 * RSS is read after a full garbage collection at both points, in the process itself, so what grows with the number of
 * labs shows as the second figure over the first.
 */
export async function measureWorkerMemory(
  database: TestDatabase,
  options: Omit<PipelineOptions, 'labs' | 'workerSets'> & { first: number; total: number },
): Promise<WorkerMemoryFigures> {
  const rig = await openPipelineRig(database, { ...options, workerSets: 1 });
  try {
    await rig.approve(options.first);
    const [first] = await rig.memory();
    await rig.approve(options.total - options.first);
    const [all] = await rig.memory();
    return { afterFirst: first!, afterAll: all! };
  } finally {
    await rig.stop();
    await rig.clear();
  }
}

/** The bench's web side and its worker processes on one queue prefix, ready to take approvals. */
interface PipelineRig {
  /** Seeds `labs` pending plans, approves them, and resolves with the milliseconds until every one is running. */
  approve(labs: number): Promise<number>;
  /** Each worker process's memory, read after a full garbage collection. */
  memory(): Promise<WorkerMemory[]>;
  /** The bench's own queries to Postgres while polling, to leave out of the counts. */
  polls(): number;
  /** Stops the worker processes and closes the web side's connections. */
  stop(): Promise<void>;
  /** Deletes the rig's keys from Redis (after the commands were counted). */
  clear(): Promise<void>;
}

async function openPipelineRig(database: TestDatabase, options: Omit<PipelineOptions, 'labs'>): Promise<PipelineRig> {
  const prefix = uniquePrefix('bench-pipe');
  let polls = 0;
  let nextIndex = options.firstIndex;
  const web = await createWorkerSide({ databaseUrl: database.url, redisUrl: options.redisUrl, prefix, settings: { APPROVERS: `slack:${APPROVER.id}` } });
  const sets: ChildProcessHandle<WorkerRequest, WorkerAnswer>[] = [];
  const stop = async () => {
    await Promise.all(sets.map((set) => set.stop()));
    await web.close();
  };
  const clear = () => deleteKeys(prefix, options.redisUrl);
  try {
    for (let index = 0; index < options.workerSets; index += 1) {
      sets.push(await startChild<WorkerRequest, WorkerAnswer>(new URL('./worker-process.ts', import.meta.url), { execArgv: ['--expose-gc'] }));
    }
    await Promise.all(sets.map((set) => set.ask({ start: { databaseUrl: database.url, redisUrl: options.redisUrl, prefix } })));
  } catch (error) {
    await stop();
    await clear();
    throw error;
  }
  return {
    async approve(labs) {
      const ids = await seedPendingPlans(web.s.db, { count: labs, presetId: PRESET, ttlSeconds: 8 * 3600, firstIndex: nextIndex });
      nextIndex += labs;
      const running = () => {
        polls += 1;
        return web.s.db.$count(environments, and(eq(environments.state, 'running'), between(environments.id, ids[0]!, ids.at(-1)!)));
      };
      const started = performance.now();
      await inLanes(ids, options.approvalsInFlight, (envId, index) =>
        decidePlan(web.s, { envId, actor: chatActor(APPROVER), decision: 'approve', requestId: `bench-approve-${envId}-${index}` }).then(() => undefined),
      );
      let done = 0;
      await pollUntil(async () => (done = await running()) === labs, {
        timeoutMs: TIMEOUT_MS,
        intervalMs: 20,
        message: () => `${done} of ${labs} labs running after ${TIMEOUT_MS} ms`,
      });
      const elapsedMs = performance.now() - started;
      const failed = (await Promise.all(sets.map((set) => set.ask({ report: true })))).reduce((sum, answer) => sum + answer.failedAttempts, 0);
      if (failed > 0) throw new Error(`${failed} job attempts failed`);
      return elapsedMs;
    },
    async memory() {
      return Promise.all(sets.map(async (set) => (await set.ask({ memory: true })).memory!));
    },
    polls: () => polls,
    stop,
    clear,
  };
}

/** Transactions committed and rolled back in the database so far, as Postgres's statistics have them. */
async function transactionsOf(database: TestDatabase): Promise<number> {
  const result = await database.pool.query<{ count: string }>(
    'select (xact_commit + xact_rollback)::text as count from pg_stat_database where datname = current_database()',
  );
  return Number(result.rows[0]?.count ?? 0);
}

/** The count once the statistics of the closed connections have come in (a backend reports them as it exits). */
async function settledTransactionsOf(database: TestDatabase): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return transactionsOf(database);
}

/** Commands the Redis server has run so far (INFO commandstats): the bench has a redis-server of its own. */
export async function redisCommands(url: string): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await connection.info('commandstats');
    return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  } finally {
    connection.disconnect();
  }
}

/**
 * The same number of jobs through the same queue with BullMQ alone: one `deploy` job per lab, added one at a time by
 * `approvalsInFlight` lanes, run by `workerSets` bare workers of WORKER_CONCURRENCY whose processor does nothing.
 */
export async function measureBareJobs(options: Omit<PipelineOptions, 'firstIndex'> & { concurrency: number }): Promise<number> {
  const prefix = uniquePrefix('bench-bare');
  const producer = new Redis(options.redisUrl, redisOptions('worker'));
  const queue = new Queue('deploy', { connection: producer, prefix });
  const connections: Redis[] = [];
  const workers: Worker[] = [];
  try {
    let done = 0;
    let lastAt = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    for (let index = 0; index < options.workerSets; index += 1) {
      const connection = new Redis(options.redisUrl, redisOptions('worker'));
      connections.push(connection);
      const worker = new Worker('deploy', async () => undefined, { connection, prefix, concurrency: options.concurrency });
      worker.on('completed', () => {
        done += 1;
        lastAt = performance.now();
        if (done === options.labs) allDone();
      });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    const ids = Array.from({ length: options.labs }, (_, index) => `deploy-bare-${index}`);
    const started = performance.now();
    await inLanes(ids, options.approvalsInFlight, async (jobId) => {
      await queue.add('deploy', { envId: jobId }, { jobId, removeOnComplete: { count: 10_000 } });
    });
    await within(finished, TIMEOUT_MS, () => `${done} of ${options.labs} bare jobs completed`);
    return (options.labs * 1000) / (lastAt - started);
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await queue.close();
    await deleteKeys(prefix, options.redisUrl);
    for (const connection of [producer, ...connections]) connection.disconnect();
  }
}

async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

async function within(promise: Promise<void>, ms: number, progress: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${progress()}`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
