/**
 * One worker set in a process of its own, as `npm run worker` runs it: the job processors on the bench's database and
 * queue prefix, with the app's concurrency, a counting notifier and the local provisioner at zero delay.
 */
import type { Workers } from '../../src/queue/workers.js';
import { serveRequests } from '../framework/helper-process.js';
import { createWorkerSide, type WorkerSide } from '../timers/worker-side.js';

export type WorkerRequest = { start: { databaseUrl: string; redisUrl: string; prefix: string } } | { report: true } | { memory: true };
/** The process's memory, read after a full garbage collection (the process runs with --expose-gc). */
export interface WorkerMemory {
  rssBytes: number;
  heapUsedBytes: number;
}
/** `start` answers when the workers take jobs; `report` gives the failed attempts seen so far; `memory` adds the memory. */
export type WorkerAnswer = { failedAttempts: number; memory?: WorkerMemory };

let side: WorkerSide | undefined;
let workers: Workers | undefined;

serveRequests<WorkerRequest, WorkerAnswer>(
  async (request) => {
    if ('start' in request) {
      side ??= await createWorkerSide(request.start);
      workers ??= await side.startWorkers();
    }
    const failedAttempts = side?.failures.length ?? 0;
    if (!('memory' in request)) return { failedAttempts };
    if (!globalThis.gc) throw new Error('the worker process needs --expose-gc to measure its memory');
    globalThis.gc();
    const { rss, heapUsed } = process.memoryUsage();
    return { failedAttempts, memory: { rssBytes: rss, heapUsedBytes: heapUsed } };
  },
  async () => {
    await side?.close();
  },
);
