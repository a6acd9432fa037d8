/**
 * One worker set in a process of its own, as `npm run worker` runs it: the job processors on the bench's database and
 * queue prefix, with the app's concurrency, a counting notifier and the local provisioner at zero delay.
 */
import type { Workers } from '../../src/queue/workers.js';
import { serveRequests } from '../framework/helper-process.js';
import { createWorkerSide, type WorkerSide } from '../timers/worker-side.js';

export type WorkerRequest = { start: { databaseUrl: string; redisUrl: string; prefix: string } } | { report: true };
/** `start` answers when the workers take jobs; `report` gives the failed attempts seen so far. */
export type WorkerAnswer = { failedAttempts: number };

let side: WorkerSide | undefined;
let workers: Workers | undefined;

serveRequests<WorkerRequest, WorkerAnswer>(
  async (request) => {
    if ('start' in request) {
      side ??= await createWorkerSide(request.start);
      workers ??= await side.startWorkers();
    }
    return { failedAttempts: side?.failures.length ?? 0 };
  },
  async () => {
    await side?.close();
  },
);
