import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import type { Preset } from '../../src/domain/presets.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { LocalProvisioner, type LocalProvisionerOptions } from '../../src/provisioners/local.js';
import type { ProgressEvent } from '../../src/provisioners/port.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const tool = (id: string, name: string) => ({ id, name, image: `example/${id}:1.0`, port: 443, memoryMb: 256 });

const preset: Preset = {
  id: 'mini-lab',
  name: 'Mini lab',
  tools: [tool('grafana', 'Grafana'), tool('minio', 'MinIO'), tool('caldera', 'Caldera')],
  defaultTtlSeconds: 3600,
  maxTtlSeconds: 7200,
  approvalRequired: true,
  instanceSize: 't3.small',
  hourlyCostUsd: 0.1,
};

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

function provisioner(options: Partial<LocalProvisionerOptions> = {}): LocalProvisioner {
  return new LocalProvisioner(database.db, { stepMs: 5, failTools: [], clock: new ManualClock(), log: silentLogger, ...options });
}

function recorder() {
  const events: ProgressEvent[] = [];
  return { events, onProgress: async (event: ProgressEvent) => void events.push(event) };
}

const statuses = (events: ProgressEvent[]) => events.map((event) => `${event.toolId}:${event.status}`);

async function rowsOf(envId: string) {
  const rows = await database.db.select().from(simulatedResources);
  return rows.filter((row) => row.envId === envId).map((row) => row.toolId).sort();
}

describe('local provisioner', () => {
  it('says it is a simulator when it starts', () => {
    const lines: Record<string, unknown>[] = [];
    provisioner({ log: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) });
    expect(lines[0]?.msg).toMatch(/simulator.*no cloud resources/);
  });

  it('deploys each tool as a step, with progress and an endpoint per tool, and records what it created', async () => {
    const { events, onProgress } = recorder();
    const startedAt = Date.now();
    const result = await provisioner({ stepMs: 40 }).deploy({ envId: 'env-dep001', preset, onProgress, signal: new AbortController().signal });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(115);
    expect(result.endpoints).toEqual({
      grafana: 'https://grafana.env-dep001.lab.local.invalid',
      minio: 'https://minio.env-dep001.lab.local.invalid',
      caldera: 'https://caldera.env-dep001.lab.local.invalid',
    });
    expect(statuses(events)).toEqual(['grafana:started', 'grafana:ready', 'minio:started', 'minio:ready', 'caldera:started', 'caldera:ready']);
    expect(events[1]).toMatchObject({ toolName: 'Grafana', message: 'https://grafana.env-dep001.lab.local.invalid' });
    expect(await rowsOf('env-dep001')).toEqual(['caldera', 'grafana', 'minio']);
    expect(await provisioner().outputs('env-dep001')).toEqual(result.endpoints);
    expect(await provisioner().outputs('env-nothing')).toBeUndefined();
  });

  it('fails a tool named in LOCAL_PROVISIONER_FAIL with a retryable AppError, keeping what came before it', async () => {
    const { events, onProgress } = recorder();
    const failing = provisioner({ failTools: ['minio'] });
    const deploying = failing.deploy({ envId: 'env-fail01', preset, onProgress, signal: new AbortController().signal });
    await expect(deploying).rejects.toMatchObject({ name: 'AppError', code: 'provision_failed', retry: true });
    await expect(deploying).rejects.toThrow(/MinIO.*LOCAL_PROVISIONER_FAIL/);
    expect(statuses(events)).toEqual(['grafana:started', 'grafana:ready', 'minio:started', 'minio:failed']);
    expect(await rowsOf('env-fail01')).toEqual(['grafana']);
  });

  it('at zero delay records the tools made before a failed step too, and a retry skips them', async () => {
    const deploying = provisioner({ stepMs: 0, failTools: ['caldera'] }).deploy({ envId: 'env-fail02', preset, onProgress: async () => undefined, signal: new AbortController().signal });
    await expect(deploying).rejects.toMatchObject({ code: 'provision_failed' });
    expect(await rowsOf('env-fail02')).toEqual(['grafana', 'minio']);

    const { events, onProgress } = recorder();
    await provisioner({ stepMs: 0 }).deploy({ envId: 'env-fail02', preset, onProgress, signal: new AbortController().signal });
    expect(statuses(events)).toEqual(['caldera:started', 'caldera:ready']);
    expect(await rowsOf('env-fail02')).toEqual(['caldera', 'grafana', 'minio']);
  });

  it('resumes a retried deploy without creating a tool twice', async () => {
    const first = recorder();
    const controller = new AbortController();
    const interrupted = provisioner({ stepMs: 30 }).deploy({
      envId: 'env-retry1',
      preset,
      signal: controller.signal,
      onProgress: async (event) => {
        await first.onProgress(event);
        if (event.toolId === 'minio' && event.status === 'started') controller.abort(new Error('worker killed'));
      },
    });
    await expect(interrupted).rejects.toThrow('worker killed');
    expect(await rowsOf('env-retry1')).toEqual(['grafana']);

    const second = recorder();
    const result = await provisioner().deploy({ envId: 'env-retry1', preset, onProgress: second.onProgress, signal: new AbortController().signal });
    expect(statuses(second.events)).toEqual(['minio:started', 'minio:ready', 'caldera:started', 'caldera:ready']);
    expect(Object.keys(result.endpoints).sort()).toEqual(['caldera', 'grafana', 'minio']);
    expect(await rowsOf('env-retry1')).toEqual(['caldera', 'grafana', 'minio']);
  });

  it('on a fresh deploy does not look for what an earlier attempt made, and leaves a row already there as it is', async () => {
    const earlier = new Date('2026-01-01T00:00:00.000Z');
    await database.db.insert(simulatedResources).values({ envId: 'env-fresh1', toolId: 'grafana', endpoint: 'https://earlier.invalid', createdAt: earlier });
    const { events, onProgress } = recorder();
    const result = await provisioner({ stepMs: 0 }).deploy({ envId: 'env-fresh1', preset, onProgress, signal: new AbortController().signal, fresh: true });
    expect(statuses(events)).toEqual(['grafana:started', 'grafana:ready', 'minio:started', 'minio:ready', 'caldera:started', 'caldera:ready']);
    expect(Object.keys(result.endpoints)).toEqual(['grafana', 'minio', 'caldera']);
    expect(await provisioner().outputs('env-fresh1')).toMatchObject({ grafana: 'https://earlier.invalid' });
  });

  it('destroys what it created, newest first, and destroying nothing succeeds', async () => {
    const local = provisioner();
    await local.deploy({ envId: 'env-gone01', preset, onProgress: async () => undefined, signal: new AbortController().signal });
    const { events, onProgress } = recorder();
    await local.destroy({ envId: 'env-gone01', preset, onProgress, signal: new AbortController().signal });
    expect(statuses(events)).toEqual(['caldera:destroyed', 'minio:destroyed', 'grafana:destroyed']);
    expect(events[2]?.toolName).toBe('Grafana');
    expect(await rowsOf('env-gone01')).toEqual([]);
    expect(await local.outputs('env-gone01')).toBeUndefined();

    const again = recorder();
    await local.destroy({ envId: 'env-gone01', preset, onProgress: again.onProgress, signal: new AbortController().signal });
    expect(again.events).toEqual([]);
  });

  it('destroys only the tools a failed deploy left behind', async () => {
    const envId = 'env-half01';
    await provisioner({ failTools: ['caldera'] })
      .deploy({ envId, preset, onProgress: async () => undefined, signal: new AbortController().signal })
      .catch(() => undefined);
    const { events, onProgress } = recorder();
    await provisioner().destroy({ envId, preset, onProgress, signal: new AbortController().signal });
    expect(statuses(events)).toEqual(['minio:destroyed', 'grafana:destroyed']);
  });

  it('stops a step at once when the signal aborts', async () => {
    const controller = new AbortController();
    // A step of ten minutes: a deploy that waited for the step instead of the signal would outlive the test.
    const deploying = provisioner({ stepMs: 600_000 }).deploy({
      envId: 'env-abort1',
      preset,
      onProgress: async (event) => {
        if (event.status === 'started') controller.abort(new Error('time is up'));
      },
      signal: controller.signal,
    });
    await expect(deploying).rejects.toThrow('time is up');
    expect(await rowsOf('env-abort1')).toEqual([]);
  });
});
