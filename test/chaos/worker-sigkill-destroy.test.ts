import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { requestDestroy } from '../../workflows/destroy.js';
import { requestEnvironment } from '../../workflows/request.js';
import { eventCounts, simulatedTools, waitForState } from '../support/labs.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';
import { spawnWorkerChild, type WorkerChild } from '../support/worker-child.js';

let t: TestServices;
let child: WorkerChild | undefined;
beforeAll(async () => {
  t = await createTestServices({ worker: { lockDurationMs: 1000, stalledIntervalMs: 300 } });
});
afterAll(async () => {
  child?.process.kill('SIGKILL');
  await t.close();
});

const TOOLS = ['code-server', 'portainer', 'uptime-kuma'];

describe('a worker killed with SIGKILL mid-destroy', () => {
  it('another worker finishes the destroy: destroyed once, one destroy.completed, no resources left', async () => {
    child = await spawnWorkerChild({ databaseUrl: t.database.url, prefix: t.prefix, stepMs: 400 });
    const plan = await requestEnvironment(t.s, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'quick-sandbox', requestId: 'r1' });
    await waitForState(t.s, plan.id, 'running');
    expect(await simulatedTools(t.s, plan.id)).toEqual(TOOLS);

    await requestDestroy(t.s, { envId: plan.id, actor: chatActor(USERS.alice), requestId: 'd1', channelId: 'C1' });
    // Kill the child once it has removed some but not all of the tools.
    await eventually(async () => ((await simulatedTools(t.s, plan.id)).length < TOOLS.length ? true : undefined), 15_000, 'the first tool removed');
    const exit = await child.signal('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const left = await simulatedTools(t.s, plan.id);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(TOOLS.length);
    expect((await waitForState(t.s, plan.id, 'destroying', 1000)).finishedAt).toBeNull();

    await t.startWorkers();
    const destroyed = await waitForState(t.s, plan.id, 'destroyed');
    expect(destroyed.destroyReason).toBe('owner');
    expect(destroyed.finishedAt).not.toBeNull();
    expect(await simulatedTools(t.s, plan.id)).toEqual([]);

    const counts = await eventCounts(t.s, plan.id);
    expect(counts).toMatchObject({ 'destroy.initiated': 1, 'destroy.completed': 1, 'deployment.completed': 1 });
    expect(counts['destroy.failed']).toBeUndefined();
    // The owner is told once that the lab is gone (the child, which deployed it, sent the earlier DMs).
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.userId === USERS.alice.id);
    expect(t.notifier.sentTo(USERS.alice.id)).toHaveLength(1);
  });
});
