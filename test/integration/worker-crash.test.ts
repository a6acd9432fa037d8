import { spawn, type ChildProcess } from 'node:child_process';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { getEnvironment } from '../../workflows/queries.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';

let t: TestServices;
let child: ChildProcess | undefined;
beforeAll(async () => {
  t = await createTestServices({ worker: { lockDurationMs: 1000, stalledIntervalMs: 300 } });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t.close();
});

function startWorkerProcess(): Promise<ChildProcess> {
  const worker = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WORKER_DATABASE_URL: t.database.url, WORKER_QUEUE_PREFIX: t.prefix, WORKER_STEP_MS: '400' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker process did not start')), 20_000);
    worker.once('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
    worker.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) {
        clearTimeout(timer);
        resolve(worker);
      }
    });
  });
}

describe('a worker killed with SIGKILL mid-deploy', () => {
  it('another worker finishes the job; the lab ends running with one set of resources', async () => {
    child = await startWorkerProcess();
    const plan = await requestEnvironment(t.s, { requester: USERS.alice, channelId: 'C1', presetId: 'quick-sandbox', requestId: 'r1' });
    // Wait until the child has created some but not all of the lab's tools, then kill it.
    await eventually(async () => {
      const rows = await t.s.db.select().from(simulatedResources).where(eq(simulatedResources.envId, plan.id));
      return rows.length >= 1 ? rows : undefined;
    }, 15_000, 'the first tool');
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
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
