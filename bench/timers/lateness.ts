import { Queue, Worker, type Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { environments, type EnvironmentRow } from '../../src/db/schema/environments.js';
import type { Logger } from '../../src/log.js';
import { redisOptions } from '../../src/queue/redis.js';
import { scheduleFirstTimer } from '../../workflows/timers.js';
import { createTestDatabase } from '../../test/support/database.js';
import { deleteKeys } from '../../test/support/services.js';
import { pollUntil, uniquePrefix } from '../../test/support/redis.js';
import { percentile } from '../framework/stats.js';
import { seedRunningLabs } from './seed.js';
import { createWorkerSide, type WorkerSide } from './worker-side.js';

export interface LatenessOptions {
  labs: number;
  /** Seconds before its expiry each lab is reminded (REMINDER_OFFSETS). */
  reminderOffsetsSeconds: number[];
  /** Expiries are spread evenly from `leadMs` to `leadMs + spreadMs` after the labs are seeded. */
  leadMs: number;
  spreadMs: number;
  /** WORKER_CONCURRENCY of the worker set that runs the timers. */
  concurrency: number;
  /** Labs whose timers are scheduled at once, as deploys finishing together would. */
  scheduleLanes: number;
  redisUrl: string;
  log?: Logger;
}

export interface Lateness {
  p50Ms: number;
  p99Ms: number;
}

export interface LatenessFigures {
  remind: Lateness;
  expire: Lateness;
  /** Reminders due, and how many were sent: a reminder still waiting when its lab expires is dropped, not sent late. */
  reminders: number;
  remindersSent: number;
  /** From the first timer due to the last lab destroyed. */
  drainMs: number;
  /** Job attempts that failed and were retried (every lab was still expired and destroyed). */
  failedAttempts: number;
}

/** When each timer comes due: expiries spread evenly over the window, reminders their offsets before. */
function dueTimes(options: LatenessOptions, start: number): { firstExpiry: Date; lastExpiry: Date; firstDue: number } {
  const firstExpiry = new Date(start + options.leadMs);
  return {
    firstExpiry,
    lastExpiry: new Date(start + options.leadMs + options.spreadMs),
    firstDue: firstExpiry.getTime() - Math.max(0, ...options.reminderOffsetsSeconds) * 1000,
  };
}

/**
 * Running labs whose reminders and expiries all come due within a short window: the labs go into Postgres in bulk,
 * their timers are scheduled through `scheduleFirstTimer`, and a worker set with a counting notifier runs them, expiring
 * and destroying every lab. Lateness is taken where each job starts (`timerLateness`, as /metrics sees it).
 */
export async function measureLateness(options: LatenessOptions): Promise<LatenessFigures> {
  const database = await createTestDatabase();
  const side = await createWorkerSide({
    databaseUrl: database.url,
    redisUrl: options.redisUrl,
    prefix: uniquePrefix('bench-late'),
    settings: { REMINDER_OFFSETS: options.reminderOffsetsSeconds.map((seconds) => `${seconds}s`).join(','), WORKER_CONCURRENCY: String(options.concurrency) },
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    const due = dueTimes(options, Date.now());
    await seedRunningLabs(side.s.db, { count: options.labs, firstExpiry: due.firstExpiry, lastExpiry: due.lastExpiry, presetId: 'quick-sandbox' });
    await scheduleAll(side, options.scheduleLanes);
    if (Date.now() >= due.firstDue) throw new Error('scheduling ended after the first timers came due: lengthen the lead');
    const samples = { remind: [] as number[], expire: [] as number[] };
    await side.startWorkers({ timerLateness: (kind, seconds) => samples[kind].push(seconds * 1000) });
    const timeoutMs = options.leadMs + options.spreadMs + 600_000;
    await pollUntil(async () => samples.expire.length >= options.labs && (await destroyed(side)) >= options.labs, {
      timeoutMs,
      intervalMs: 250,
      message: () => `after ${timeoutMs} ms, ${samples.expire.length} of ${options.labs} labs had expired`,
    });
    const drainMs = Date.now() - due.firstDue;
    const reminders = options.labs * options.reminderOffsetsSeconds.length;
    return {
      remind: summary(samples.remind),
      expire: summary(samples.expire),
      reminders,
      remindersSent: side.notifier.counts.dm - options.labs,
      drainMs,
      failedAttempts: side.failures.length,
    };
  } finally {
    await side.close();
    await database.drop();
    await deleteKeys(side.config.QUEUE_PREFIX, options.redisUrl);
  }
}

/**
 * The same timers as plain BullMQ delayed jobs with the same due times, run by bare workers of the same concurrency
 * whose processor only notes when it started: the lateness BullMQ and Redis give on this machine.
 */
export async function measureBareLateness(options: LatenessOptions): Promise<{ remind: Lateness; expire: Lateness; drainMs: number }> {
  const prefix = uniquePrefix('bench-bare-late');
  const connection = new Redis(options.redisUrl, redisOptions('worker'));
  const samples = { remind: [] as number[], expire: [] as number[] };
  let lastAt = 0;
  const workers = (['remind', 'expire'] as const).map(
    (kind) =>
      new Worker(kind, async (job: Job<{ dueAt: number }>) => {
        lastAt = Date.now();
        samples[kind].push(lastAt - job.data.dueAt);
      }, {
        connection,
        prefix,
        concurrency: options.concurrency,
      }),
  );
  try {
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    const due = dueTimes(options, Date.now());
    const span = due.lastExpiry.getTime() - due.firstExpiry.getTime();
    const expiries = Array.from({ length: options.labs }, (_, index) => due.firstExpiry.getTime() + Math.round((span * index) / Math.max(1, options.labs - 1)));
    for (const kind of ['remind', 'expire'] as const) {
      // BullMQ counts a delay from when the job is added.
      const now = Date.now();
      const job = (index: number, dueAt: number) => ({ name: kind, data: { dueAt }, opts: { jobId: `${kind}-${index}-${dueAt}`, delay: Math.max(0, dueAt - now) } });
      const jobs = kind === 'expire'
        ? expiries.map((expiresAt, index) => job(index, expiresAt))
        : options.reminderOffsetsSeconds.flatMap((offset) => expiries.map((expiresAt, index) => job(index, expiresAt - offset * 1000)));
      const queue = new Queue(kind, { connection, prefix });
      await queue.addBulk(jobs);
      await queue.close();
    }
    const reminders = options.labs * options.reminderOffsetsSeconds.length;
    await pollUntil(() => samples.expire.length >= options.labs && samples.remind.length >= reminders, {
      timeoutMs: options.leadMs + options.spreadMs + 120_000,
      intervalMs: 250,
      message: () => `bare timers: ${samples.remind.length} of ${reminders} reminders and ${samples.expire.length} of ${options.labs} expiries ran`,
    });
    return { remind: summary(samples.remind), expire: summary(samples.expire), drainMs: lastAt - due.firstDue };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await deleteKeys(prefix, options.redisUrl);
    connection.disconnect();
  }
}

async function scheduleAll(side: WorkerSide, lanes: number): Promise<void> {
  const labs: EnvironmentRow[] = await side.s.db.select().from(environments).where(eq(environments.state, 'running'));
  let next = 0;
  const lane = async () => {
    while (next < labs.length) await scheduleFirstTimer(side.s, labs[next++]!);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

function destroyed(side: WorkerSide): Promise<number> {
  return side.s.db.$count(environments, eq(environments.state, 'destroyed'));
}

function summary(samples: readonly number[]): Lateness {
  return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}
