import { withoutCredentials } from '../config.js';
import type { Database } from '../db/client.js';
import { migrationsApplied } from '../db/client.js';
import type { Logger } from '../log.js';
import { sendJson } from './answers.js';
import type { Door } from './server.js';

/** A readiness check passes when it resolves to anything but `false`; throwing or `false` fails it. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessChecks {
  postgres: ReadinessCheck;
  redis: ReadinessCheck;
  migrations: ReadinessCheck;
}

export interface CheckResult {
  ok: boolean;
  /** Why it failed (connection strings are stripped of credentials). */
  error?: string;
}

/** What `ioredis` offers for the Redis check. */
export interface Pingable {
  ping(): Promise<string>;
}

/** The real checks: `select 1` on Postgres, `PING` on Redis, and every migration file applied. */
export function readinessChecks(database: Database, redis: Pingable): ReadinessChecks {
  return {
    postgres: () => database.pool.query('select 1'),
    redis: async () => (await redis.ping()) === 'PONG',
    migrations: () => migrationsApplied(database),
  };
}

export async function runChecks(checks: ReadinessChecks, timeoutMs: number): Promise<Record<keyof ReadinessChecks, CheckResult>> {
  const names = Object.keys(checks) as (keyof ReadinessChecks)[];
  const results = await Promise.all(names.map((name) => runCheck(checks[name], name, timeoutMs)));
  return Object.fromEntries(names.map((name, index) => [name, results[index]])) as Record<keyof ReadinessChecks, CheckResult>;
}

async function runCheck(check: ReadinessCheck, name: string, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const outcome = await Promise.race([check(), timeout]);
    return outcome === false ? { ok: false, error: `${name} is not ready` } : { ok: true };
  } catch (error) {
    return { ok: false, error: withoutCredentials(error instanceof Error ? error.message : String(error)).slice(0, 300) };
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /healthz` (the process answers) and `GET /readyz` (its dependencies answer; 503 naming what failed). */
export function healthDoor(checks: ReadinessChecks, options: { log: Logger; timeoutMs?: number }): Door {
  const timeoutMs = options.timeoutMs ?? 2000;
  return async (door) => {
    door.get('/healthz', async (_request, reply) => sendJson(reply, 200, { status: 'ok' }));
    door.get('/readyz', async (_request, reply) => {
      const results = await runChecks(checks, timeoutMs);
      const failed = Object.entries(results).filter(([, result]) => !result.ok).map(([name]) => name);
      if (failed.length > 0) {
        options.log.warn({ failed, results }, 'not ready');
        return sendJson(reply, 503, { status: 'unavailable', failed, checks: results });
      }
      return sendJson(reply, 200, { status: 'ready', checks: results });
    });
  };
}
