import { readMigrationFiles } from 'drizzle-orm/migrator';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/project-files.js';
import { builtProject } from '../support/built-project.js';
import { LEVEL, logLinesAtLeast, spawnBuilt, untilReady, type BuiltMode } from '../support/built-process.js';
import { createTestDatabase } from '../support/database.js';
import { uniquePrefix } from '../support/redis.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/services.js';

/**
 * Replicas as an orchestrator starts them: two web and two worker processes of the built project, all at the same
 * moment, against one fresh (unmigrated) Postgres database and one Redis. Every one of them must come up: the first
 * to take the migration lock migrates, the others wait for it and find nothing to do. Three rounds, a fresh
 * database each, because the race this guards against did not lose every time.
 */
const MIGRATION_COUNT = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
const REPLICAS: BuiltMode[] = ['web', 'web', 'worker', 'worker'];

beforeAll(() => builtProject(), 300_000);

describe('two web and two worker processes started together on a fresh database', () => {
  it.each([1, 2, 3])('all reach readiness, round %i', async () => {
    const database = await createTestDatabase({ migrated: false });
    const prefix = uniquePrefix('replicas');
    const env = { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0' };
    const processes = REPLICAS.map((mode, index) => spawnBuilt(mode, env, `${mode} ${(index % 2) + 1}`));
    try {
      const outcomes = await Promise.allSettled(processes.map((proc) => untilReady(proc)));
      expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'ready' : String(outcome.reason)))).toEqual(REPLICAS.map(() => 'ready'));
      const applied = await database.pool.query<{ hash: string }>('select hash from drizzle.__drizzle_migrations');
      expect(applied.rows).toHaveLength(MIGRATION_COUNT);
      expect(new Set(applied.rows.map((row) => row.hash)).size).toBe(MIGRATION_COUNT);
      // Warnings may say /readyz answered 503 while a process was still connecting; nothing may have failed.
      expect(logLinesAtLeast(processes, LEVEL.error)).toEqual([]);
    } finally {
      const exits = await Promise.all(processes.map((proc) => proc.stop()));
      await deleteKeys(prefix);
      await database.drop();
      expect(exits).toEqual(REPLICAS.map(() => ({ code: 0, signal: null })));
    }
  }, 90_000);
});
