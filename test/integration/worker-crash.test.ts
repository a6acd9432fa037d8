import { and, eq } from 'drizzle-orm';
import { chatActor } from '../../src/domain/actor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { requestEnvironment } from '../../workflows/request.js';
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

describe('a worker killed with SIGKILL mid-deploy', () => {
  it('another worker finishes the job; the lab ends running with one set of resources', async () => {
    child = await spawnWorkerChild({ databaseUrl: t.database.url, prefix: t.prefix, stepMs: 400 });
    const plan = await requestEnvironment(t.s, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'quick-sandbox', requestId: 'r1' });
    // Wait until the child has created some but not all of the lab's tools, then kill it.
    await eventually(async () => {
      const rows = await t.s.db.select().from(simulatedResources).where(eq(simulatedResources.envId, plan.id));
      return rows.length >= 1 ? rows : undefined;
    }, 15_000, 'the first tool');
    await child.signal('SIGKILL');
    expect((await getEnvironment(t.s, plan.id)).state).toBe('deploying');

    await t.startWorkers();
    const running = await eventually(async () => {
      const env = await getEnvironment(t.s, plan.id);
      return env.state === 'running' ? env : undefined;
    }, 20_000, 'the lab to be running');
    expect(Object.keys(running.endpoints).sort()).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    expect(await t.s.db.select().from(simulatedResources).where(eq(simulatedResources.envId, plan.id))).toHaveLength(3);
    const events = await t.s.db
      .select({ eventType: auditLog.eventType })
      .from(auditLog)
      .where(and(eq(auditLog.resourceType, 'environment'), eq(auditLog.resourceId, plan.id)))
      .orderBy(auditLog.id);
    const names = events.map((row) => row.eventType);
    expect(names.filter((name) => name === 'deployment.started')).toHaveLength(1);
    expect(names.filter((name) => name === 'deployment.completed')).toHaveLength(1);
    expect(names).not.toContain('deployment.failed');
  });
});
