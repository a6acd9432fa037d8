/**
 * A worker in a process of its own, for the crash tests: it runs the job processors on a test's database and queue
 * prefix until it is killed. Settings come from the environment the test gives it.
 */
import { connectDatabase } from '../../src/db/client.js';
import { attachServices } from './services.js';

const databaseUrl = process.env.WORKER_DATABASE_URL;
const prefix = process.env.WORKER_QUEUE_PREFIX;
if (!databaseUrl || !prefix) throw new Error('WORKER_DATABASE_URL and WORKER_QUEUE_PREFIX are required');

const database = connectDatabase(databaseUrl);
const parts = await attachServices(database, prefix, {
  env: { LOCAL_PROVISIONER_STEP_MS: process.env.WORKER_STEP_MS ?? '500' },
  // A short lock: once this process dies, another worker may take its job over within about a second.
  worker: { lockDurationMs: 1000, stalledIntervalMs: 500 },
});
await parts.startWorkers();
process.stdout.write('worker ready\n');
