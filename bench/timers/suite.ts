import { startPrivateRedis } from '../../test/support/redis-server.js';
import type { BenchCase, BenchSuite } from '../framework/types.js';
import { measureBareLateness, measureLateness, type LatenessOptions } from './lateness.js';
import { openRebuildFixture, type RebuildFixture } from './rebuild.js';

/**
 * The timer figures: how late reminders and expiries run when 10,000 labs come due within a few minutes, and how long
 * the reconciler takes to put every timer back after Redis is wiped. Both on a private redis-server (it is flushed).
 */
export const timersSuite: BenchSuite = {
  name: 'timers',
  async open(options) {
    const labs = options.quick ? 500 : 10_000;
    const redis = await startPrivateRedis();
    options.cleanup(() => redis.stop());
    options.log(`seeding ${labs.toLocaleString('en-US')} running labs and scheduling their timers`);
    const fixture = await openRebuildFixture(redis, labs, '1h,15m');
    options.cleanup(() => fixture.close());
    const lateness: LatenessOptions = {
      labs,
      reminderOffsetsSeconds: [10],
      leadMs: options.quick ? 15_000 : 30_000,
      // 50 labs a second reminded, expired and destroyed, sustained for 200 s: a burst far beyond any real day (10,000
      // labs of 2 to 8 hours expire a few a second), within what one worker process keeps up with on this machine.
      spreadMs: options.quick ? 5_000 : 200_000,
      concurrency: 8,
      scheduleLanes: 16,
      redisUrl: redis.url,
    };
    return {
      cases: [rebuildCase(fixture, labs), latenessCase(lateness, options.log)],
      async close() {
        await fixture.close();
        await redis.stop();
      },
    };
  },
};

function rebuildCase(fixture: RebuildFixture, labs: number): BenchCase {
  const name = `timers rebuild, ${labs.toLocaleString('en-US')} labs`;
  return {
    name,
    figure: `\`runReconcile\` after FLUSHALL: every running lab and the reminders already sent read from Postgres in two queries, and the next timer of each (${fixture.timers.toLocaleString('en-US')} jobs: a lab keeps one timer in the queue, its next reminder or its expiry; reminders 1 h and 15 min ahead) checked by one script call and added back by one \`addBulk\` per queue and 1,000 jobs`,
    baseline: `\`addBulk\` of ${fixture.timers.toLocaleString('en-US')} plain delayed BullMQ jobs in one go, on the same redis-server`,
    metrics: [
      { key: 'rebuild', label: name, unit: 'ms', better: 'lower' },
      { key: 'rebuildLimit', label: `${name}, against 5 s`, unit: 'ms', better: 'lower', target: 1 },
    ],
    async measure() {
      const figures = await fixture.measure();
      return {
        rebuild: { figure: figures.rebuildMs, baseline: figures.bulkAddMs },
        rebuildLimit: { figure: figures.rebuildMs, baseline: REBUILD_LIMIT_MS },
      };
    },
  };
}

const BARE_LEAD_MS = 15_000;

/** docs/promises.md: the timers of 10,000 running labs are rebuilt within this. */
const REBUILD_LIMIT_MS = 5000;

function latenessCase(options: LatenessOptions, log: (message: string) => void): BenchCase {
  const name = `timer lateness, ${options.labs.toLocaleString('en-US')} labs`;
  const perSecond = Math.round((options.labs * 1000) / options.spreadMs);
  const window = `${options.leadMs / 1000}–${(options.leadMs + options.spreadMs) / 1000} s (${perSecond} a second)`;
  return {
    name,
    runs: 1,
    figure: `${options.labs.toLocaleString('en-US')} running labs expiring ${window} from the start, each reminded ${options.reminderOffsetsSeconds.join(', ')} s before: first timers scheduled by \`scheduleFirstTimer\`, each reminder scheduling the expiry as it runs, run by one worker set (WORKER_CONCURRENCY ${options.concurrency}, local provisioner at zero delay, counting notifier) that expires and destroys every lab; lateness where each job starts`,
    baseline: 'the same timers as plain BullMQ delayed jobs, run by bare workers of the same concurrency with a processor that does nothing',
    metrics: [
      { key: 'remindP50', label: `${name}, reminders p50`, unit: 'ms', better: 'lower' },
      { key: 'remindP99', label: `${name}, reminders p99 (target < 1 s)`, unit: 'ms', better: 'lower' },
      { key: 'expireP50', label: `${name}, expiries p50`, unit: 'ms', better: 'lower' },
      { key: 'expireP99', label: `${name}, expiries p99 (target < 1 s)`, unit: 'ms', better: 'lower' },
      { key: 'sent', label: `${name}, reminders sent (of those due)`, unit: '', better: 'higher' },
      { key: 'drain', label: `${name}, first timer due to last lab done`, unit: 's', better: 'lower', digits: 1 },
    ],
    async measure() {
      const bot = await measureLateness(options);
      log(`${name}: drained ${(bot.drainMs / 1000).toFixed(1)} s after the first timer came due; ${bot.remindersSent} of ${bot.reminders} reminders sent; ${bot.failedAttempts} job attempts failed and were retried`);
      // Bare jobs need no time to be scheduled: their window starts sooner, and is as long.
      const bare = await measureBareLateness({ ...options, leadMs: BARE_LEAD_MS });
      return {
        remindP50: { figure: bot.remind.p50Ms, baseline: bare.remind.p50Ms },
        remindP99: { figure: bot.remind.p99Ms, baseline: bare.remind.p99Ms },
        expireP50: { figure: bot.expire.p50Ms, baseline: bare.expire.p50Ms },
        expireP99: { figure: bot.expire.p99Ms, baseline: bare.expire.p99Ms },
        sent: { figure: bot.remindersSent, baseline: bot.reminders },
        drain: { figure: bot.drainMs / 1000, baseline: bare.drainMs / 1000 },
      };
    },
  };
}
