import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** The longest a run waits for Postgres to settle before it starts anyway. */
const SETTLE_LIMIT_MS = 60_000;

/**
 * Lets the machine's Postgres settle before a run: a CHECKPOINT writes out what the runs before it left dirty, and the
 * autovacuum workers they woke are waited for, so that no run measures the clean-up after another (a checkpoint or a
 * vacuum under a latency run tripled its p50). Returns the milliseconds it took.
 */
export async function settlePostgres(url: string): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('checkpoint');
    while (performance.now() - started < SETTLE_LIMIT_MS) {
      const { rows } = await client.query<{ busy: number }>("select count(*)::int as busy from pg_stat_activity where backend_type = 'autovacuum worker'");
      if (rows[0]?.busy === 0) break;
      await sleep(250);
    }
  } finally {
    await client.end();
  }
  return performance.now() - started;
}
