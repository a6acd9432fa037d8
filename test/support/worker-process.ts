/**
 * A worker in a process of its own, for the crash and shutdown tests: it runs the job processors on a test's database
 * and queue prefix until it is killed, or until SIGTERM, on which it stops like the app does: no new jobs, running
 * ones finish or are handed back within WORKER_SHUTDOWN_MS, then connections close and it exits 0. Settings come
 * from the environment the test gives it.
 */
import { connectDatabase } from '../../src/db/client.js';
import { attachServices } from './services.js';

const databaseUrl = process.env.WORKER_DATABASE_URL;
const prefix = process.env.WORKER_QUEUE_PREFIX;
if (!databaseUrl || !prefix) throw new Error('WORKER_DATABASE_URL and WORKER_QUEUE_PREFIX are required');
const shutdownMs = Number(process.env.WORKER_SHUTDOWN_MS ?? '2000');

const database = connectDatabase(databaseUrl);
const parts = await attachServices(database, prefix, {
  settings: { LOCAL_PROVISIONER_STEP_MS: process.env.WORKER_STEP_MS ?? '500' },
  ...(process.env.WORKER_REDIS_URL ? { redisUrl: process.env.WORKER_REDIS_URL } : {}),
  // A short lock: once this process dies, another worker may take its job over within about a second.
  worker: { lockDurationMs: 1000, stalledIntervalMs: 500 },
});
const workers = await parts.startWorkers();

process.once('SIGTERM', () => {
  void (async () => {
    const result = await workers.stop(shutdownMs);
    process.stdout.write(`worker stopped ${JSON.stringify(result)}\n`);
    await parts.close();
    await database.close();
    process.exit(0);
  })();
});
process.stdout.write('worker ready\n');
