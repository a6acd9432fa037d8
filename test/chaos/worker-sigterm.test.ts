import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { jobIds } from '../../src/queue/jobs.js';
import { requestEnvironment } from '../../workflows/request.js';
import { eventCounts, simulatedTools, waitForState } from '../support/labs.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';
import { spawnWorkerChild, type WorkerChild } from '../support/worker-child.js';

let t: TestServices;
let child: WorkerChild | undefined;
beforeAll(async () => {
  t = await createTestServices();
});
afterAll(async () => {
  child?.process.kill('SIGKILL');
  await t.close();
});

/** The child's SHUTDOWN bound; each simulated tool takes longer, so the deploy cannot finish within it. */
const SHUTDOWN_MS = 500;
const STEP_MS = 1500;
/** What a stop may take past its bound: handing the job back and closing connections. */
const CLOSE_ALLOWANCE_MS = 1500;

describe('SIGTERM to a worker process mid-deploy', () => {
  it('stops within its bound, hands the job back, and another worker finishes it with one deployment.completed', async () => {
    child = await spawnWorkerChild({ databaseUrl: t.database.url, prefix: t.prefix, stepMs: STEP_MS, shutdownMs: SHUTDOWN_MS });
    const plan = await requestEnvironment(t.s, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'quick-sandbox', requestId: 'r1' });
    await waitForState(t.s, plan.id, 'deploying');
    // The child holds the job: it is active and the first tool is being created.
    await eventually(async () => ((await t.queue.jobCounts()).some((row) => row.queue === 'deploy' && row.state === 'active' && row.count === 1) ? true : undefined), 10_000, 'the deploy to be active');

    const exit = await child.signal('SIGTERM');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(SHUTDOWN_MS + CLOSE_ALLOWANCE_MS);
    expect(child.stopResult()).toEqual({ drained: false, handedBack: 1 });
    // Handed back, not failed: the job waits for the next worker with no attempt used up.
    expect((await t.queue.jobCounts()).filter((row) => row.queue === 'deploy' && row.count > 0)).toEqual([{ queue: 'deploy', state: 'waiting', count: 1 }]);
    expect(await t.s.jobs.has('deploy', jobIds.deploy(plan.id))).toBe(true);
    expect((await waitForState(t.s, plan.id, 'deploying', 1000)).state).toBe('deploying');

    await t.startWorkers();
    const running = await waitForState(t.s, plan.id, 'running');
    expect(Object.keys(running.endpoints).sort()).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    expect(await simulatedTools(t.s, plan.id)).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    const counts = await eventCounts(t.s, plan.id);
    expect(counts).toMatchObject({ 'deployment.started': 1, 'deployment.completed': 1 });
    expect(counts['deployment.failed']).toBeUndefined();
  });
});
