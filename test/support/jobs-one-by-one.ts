import type { EnqueueOptions, JobName, JobQueue, JobToAdd } from '../../src/queue/jobs.js';

/**
 * `addMany` and `restoreMissing` of the test queues, as BullMQ's queue defines them, in terms of their own `add`,
 * `has` and `remove`: one job after the other.
 */
export async function addOneByOne(queue: Pick<JobQueue, 'add'>, jobs: readonly JobToAdd[]): Promise<void> {
  for (const job of jobs) await addJob(queue, job);
}

export async function restoreOneByOne(queue: Pick<JobQueue, 'add' | 'has' | 'remove'>, jobs: readonly JobToAdd[]): Promise<JobToAdd[]> {
  const restored: JobToAdd[] = [];
  for (const job of jobs) {
    if (await queue.has(job.name, job.options.jobId)) continue;
    await queue.remove(job.name, job.options.jobId);
    await addJob(queue, job);
    restored.push(job);
  }
  return restored;
}

function addJob(queue: Pick<JobQueue, 'add'>, job: JobToAdd): Promise<void> {
  const add = queue.add.bind(queue) as (name: JobName, payload: unknown, options: EnqueueOptions) => Promise<void>;
  return add(job.name, job.payload, job.options);
}
