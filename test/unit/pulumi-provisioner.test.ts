import { beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog, type Preset } from '../../src/domain/presets.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ProgressEvent } from '../../src/provisioners/port.js';
import { EngineError } from '../../src/provisioners/pulumi/engine.js';
import { PulumiProvisioner } from '../../src/provisioners/pulumi/provisioner.js';
import { FakeEngine, INGRESS, INSTANCE, urnOf } from '../fakes/pulumi-engine.js';

const catalog = loadCatalog();
const sandbox = catalog.find('quick-sandbox')!;
const soc = catalog.find('soc-platform')!;
const ENV = 'env-abc123';

function endpointsFor(preset: Preset): Record<string, string> {
  return Object.fromEntries(preset.tools.map((tool) => [tool.id, `http://203.0.113.10:${tool.port}`]));
}

let engine: FakeEngine;
let progress: ProgressEvent[];

function provisioner(options: { programs?: boolean; attempts?: number } = {}): PulumiProvisioner {
  return new PulumiProvisioner({
    engine: async () => engine,
    lab: { projectName: 'aithroyz-labs', region: 'eu-west-1', allowedCidrs: ['203.0.113.0/24'] },
    busyRetry: { attempts: options.attempts ?? 4, firstDelayMs: 1, maxDelayMs: 4 },
    log: silentLogger,
    // The real AWS program is tested under mocks elsewhere; here the program just returns the outputs an up gives.
    ...(options.programs === false ? {} : { programFor: async (_envId: string, preset: Preset) => async () => ({ endpoints: endpointsFor(preset), instanceId: 'i-0abc' }) }),
  });
}

function request(preset: Preset, signal = new AbortController().signal) {
  return { envId: ENV, preset, signal, onProgress: async (event: ProgressEvent) => void progress.push(event) };
}

function statuses(status: ProgressEvent['status']): string[] {
  return progress.filter((event) => event.status === status).map((event) => event.toolId);
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const ingressStarted = (toolId: string) => ({ type: 'resource-started' as const, urn: urnOf(ENV, INGRESS, `${toolId}-ingress-0`), op: 'create' });

beforeEach(() => {
  engine = new FakeEngine();
  progress = [];
});

describe('PulumiProvisioner.deploy', () => {
  it('runs up on the lab stack, reports each tool started then ready, and returns one endpoint per tool', async () => {
    engine.events.up = sandbox.tools.map((tool) => ingressStarted(tool.id));
    const result = await provisioner().deploy(request(sandbox));

    expect(result.endpoints).toEqual(endpointsFor(sandbox));
    expect(engine.calls.map((call) => `${call.method} ${call.stack}`)).toEqual([`exportStack ${ENV}`, `up ${ENV}`]);
    expect(statuses('started')).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    expect(progress.filter((event) => event.status === 'ready')).toEqual(
      sandbox.tools.map((tool) => ({ toolId: tool.id, toolName: tool.name, status: 'ready', message: `http://203.0.113.10:${tool.port}` })),
    );
    expect(await provisioner().outputs(ENV)).toEqual(endpointsFor(sandbox));
  });

  it('is idempotent: a second deploy of the same lab converges on the same endpoints', async () => {
    const first = await provisioner().deploy(request(soc));
    const second = await provisioner().deploy(request(soc));
    expect(second).toEqual(first);
    expect(engine.count('up')).toBe(2);
    expect(engine.stacks.size).toBe(1);
  });

  it('waits and retries while another update holds the stack, then succeeds without ever cancelling it', async () => {
    engine.failNext('up', 'concurrent_update', 'the stack is currently locked by 1 lock(s)', 2);
    const result = await provisioner().deploy(request(sandbox));
    expect(result.endpoints).toEqual(endpointsFor(sandbox));
    expect(engine.count('up')).toBe(3);
    expect(statuses('failed')).toEqual([]);
  });

  it('gives up on a stack that stays locked with a retryable stack_busy that tells admins how to release it', async () => {
    engine.failNext('up', 'concurrent_update', '[409] Conflict: Another update is currently in progress.', 10);
    const error = await refusal(provisioner({ attempts: 3 }).deploy(request(sandbox)));
    expect(error).toMatchObject({ code: 'stack_busy', retry: true });
    expect(error.message).toContain('aithroyz-labs/env-abc123');
    expect(error.hint).toContain('pulumi cancel --stack aithroyz-labs/env-abc123');
    expect(engine.count('up')).toBe(3);
  });

  it('turns a cloud failure into a retryable provision_failed naming the engine error, and fails every unfinished tool', async () => {
    const instance = urnOf(ENV, INSTANCE, 'lab');
    engine.events.up = [
      ingressStarted('code-server'),
      { type: 'diagnostic', severity: 'error', urn: instance, message: 'creating EC2 Instance: InsufficientInstanceCapacity: no t3.large left' },
      { type: 'resource-failed', urn: instance, op: 'create' },
    ];
    engine.failNext('up', 'failed', 'update failed');
    const error = await refusal(provisioner().deploy(request(sandbox)));
    expect(error).toMatchObject({ code: 'provision_failed', retry: true });
    expect(error.message).toBe('Pulumi deploy of aithroyz-labs/env-abc123 failed: creating EC2 Instance: InsufficientInstanceCapacity: no t3.large left');
    expect(statuses('failed')).toEqual(['code-server', 'portainer', 'uptime-kuma']);
    expect(progress.find((event) => event.status === 'failed')?.message).toContain('InsufficientInstanceCapacity');
    expect(statuses('ready')).toEqual([]);
  });

  it('fails only the tool whose own resource failed, then the others with the overall reason', async () => {
    engine.events.up = [
      { type: 'diagnostic', severity: 'error', urn: urnOf(ENV, INGRESS, 'portainer-ingress-0'), message: 'InvalidParameterValue: bad CIDR' },
      { type: 'resource-failed', urn: urnOf(ENV, INGRESS, 'portainer-ingress-0'), op: 'create' },
    ];
    engine.failNext('up', 'failed', 'update failed');
    await refusal(provisioner().deploy(request(sandbox)));
    expect(progress[0]).toEqual({ toolId: 'portainer', toolName: 'Portainer', status: 'failed', message: 'InvalidParameterValue: bad CIDR' });
    expect(statuses('failed').sort()).toEqual(['code-server', 'portainer', 'uptime-kuma']);
  });

  it.each([
    ['credentials', 'cloud_credentials', /AWS_PROFILE/],
    ['permissions', 'cloud_permission_denied', /denied/],
    ['secrets', 'pulumi_secrets', /PULUMI_CONFIG_PASSPHRASE/],
    ['cli_missing', 'pulumi_cli_missing', /install it/],
  ] as const)('does not retry a %s failure (%s) and says what to fix', async (kind, code, says) => {
    engine.failNext('up', kind, 'UnauthorizedOperation: ec2:RunInstances');
    const error = await refusal(provisioner().deploy(request(sandbox)));
    expect(error).toMatchObject({ code, retry: false });
    expect(error.message).toMatch(says);
    expect(error.message).toContain('docs/pulumi.md');
  });

  it('does not retry when the engine cannot be created at all (no CLI)', async () => {
    const broken = new PulumiProvisioner({
      engine: async () => {
        throw new EngineError('cli_missing', 'spawn pulumi ENOENT');
      },
      lab: { projectName: 'aithroyz-labs', region: 'eu-west-1', allowedCidrs: ['203.0.113.0/24'] },
      busyRetry: { attempts: 1, firstDelayMs: 1, maxDelayMs: 1 },
      log: silentLogger,
    });
    expect(await refusal(broken.deploy(request(sandbox)))).toMatchObject({ code: 'pulumi_cli_missing', retry: false });
  });

  it('refreshes away the pending operations a crashed run left, then carries on with up', async () => {
    const pending = [{ resource: { urn: urnOf(ENV, INSTANCE, 'lab') }, type: 'creating' }];
    engine.withStack(ENV, { resources: [], pending_operations: pending });
    await provisioner().deploy(request(sandbox));
    expect(engine.calls.map((call) => call.method)).toEqual(['exportStack', 'refresh', 'exportStack', 'up']);
    expect(engine.calls[1]?.options).toEqual({ clearPendingCreates: true });
    expect(engine.deployment(ENV)).not.toHaveProperty('pending_operations');
    expect(engine.imported).toEqual([]);
  });

  it('drops pending operations by export and import when refresh keeps them, then refreshes and carries on', async () => {
    engine.refreshKeepsPending = true;
    const pending = [{ resource: { urn: urnOf(ENV, INGRESS, 'portainer-ingress-0') }, type: 'deleting' }];
    engine.withStack(ENV, { resources: [{ urn: 'kept' }], pending_operations: pending });
    await provisioner().deploy(request(sandbox));
    expect(engine.calls.map((call) => call.method)).toEqual(['exportStack', 'refresh', 'exportStack', 'importStack', 'refresh', 'up']);
    expect(engine.imported).toEqual([{ version: 3, deployment: { resources: [{ urn: 'kept' }] } }]);
  });

  it('retries a recovery refresh that meets another update, like any other call', async () => {
    engine.withStack(ENV, { resources: [], pending_operations: [{ resource: { urn: 'u' }, type: 'creating' }] });
    engine.failNext('refresh', 'concurrent_update', 'currently locked by 1 lock(s)');
    await provisioner().deploy(request(sandbox));
    expect(engine.count('refresh')).toBe(2);
    expect(engine.count('up')).toBe(1);
  });

  it('refuses a preset whose tools share a port before touching the stack', async () => {
    const clash: Preset = { ...sandbox, id: 'clash', tools: [catalog.find('soc-platform')!.tools[4]!, { ...sandbox.tools[0]!, port: 3000 }] };
    const error = await refusal(provisioner({ programs: false }).deploy(request(clash)));
    expect(error).toMatchObject({ code: 'preset_port_clash', retry: false });
    expect(error.message).toBe('Preset clash runs grafana and code-server on the same port 3000.');
    expect(engine.count('up')).toBe(0);
  });

  it('refuses outputs that lack a tool endpoint, without retrying', async () => {
    const partial = new PulumiProvisioner({
      engine: async () => engine,
      lab: { projectName: 'aithroyz-labs', region: 'eu-west-1', allowedCidrs: ['203.0.113.0/24'] },
      busyRetry: { attempts: 1, firstDelayMs: 1, maxDelayMs: 1 },
      log: silentLogger,
      programFor: async () => async () => ({ endpoints: { 'code-server': 'https://x:8443' } }),
    });
    const error = await refusal(partial.deploy(request(sandbox)));
    expect(error).toMatchObject({ code: 'provision_failed', retry: false });
    expect(error.message).toContain('portainer, uptime-kuma');
  });

  it('stops with the abort reason when the job is cancelled mid-update', async () => {
    const controller = new AbortController();
    engine.duringUp = () => controller.abort(new Error('job timed out'));
    await expect(provisioner().deploy(request(sandbox, controller.signal))).rejects.toThrow('job timed out');
  });
});

describe('PulumiProvisioner.destroy', () => {
  it('destroys the stack, reports each tool destroyed once, and removes the stack', async () => {
    await provisioner().deploy(request(sandbox));
    progress = [];
    engine.events.destroy = [
      { type: 'resource-started', urn: urnOf(ENV, INGRESS, 'portainer-ingress-0'), op: 'delete' },
      { type: 'resource-done', urn: urnOf(ENV, INGRESS, 'portainer-ingress-0'), op: 'delete' },
      { type: 'resource-done', urn: urnOf(ENV, INSTANCE, 'lab'), op: 'delete' },
    ];
    await provisioner().destroy(request(sandbox));

    expect(engine.calls.slice(-3).map((call) => call.method)).toEqual(['exportStack', 'destroy', 'removeStack']);
    expect(statuses('destroyed')).toEqual(['portainer', 'code-server', 'uptime-kuma']);
    expect(engine.stacks.has(ENV)).toBe(false);
    expect(await provisioner().outputs(ENV)).toBeUndefined();
  });

  it('is idempotent: destroying a lab with no stack succeeds and touches nothing', async () => {
    await provisioner().destroy(request(sandbox));
    expect(engine.calls.map((call) => call.method)).toEqual(['exportStack']);
    expect(progress).toEqual([]);
  });

  it('still removes a stack that vanished between export and destroy', async () => {
    engine.withStack(ENV);
    engine.failNext('destroy', 'stack_missing', "no stack named 'env-abc123' found");
    await provisioner().destroy(request(sandbox));
    expect(engine.count('removeStack')).toBe(1);
  });

  it('recovers pending operations before destroying', async () => {
    engine.withStack(ENV, { resources: [], pending_operations: [{ resource: { urn: 'u' }, type: 'creating' }] });
    await provisioner().destroy(request(sandbox));
    expect(engine.calls.map((call) => call.method)).toEqual(['exportStack', 'refresh', 'exportStack', 'destroy', 'removeStack']);
  });

  it('throws a retryable error when the destroy fails, keeping the stack for the next try', async () => {
    engine.withStack(ENV);
    engine.failNext('destroy', 'failed', 'deleting EC2 Instance: DependencyViolation');
    const error = await refusal(provisioner().destroy(request(sandbox)));
    expect(error).toMatchObject({ code: 'provision_failed', retry: true });
    expect(error.message).toBe('Pulumi destroy of aithroyz-labs/env-abc123 failed: deleting EC2 Instance: DependencyViolation');
    expect(engine.stacks.has(ENV)).toBe(true);
    expect(engine.count('removeStack')).toBe(0);
    expect(statuses('failed')).toEqual(['code-server', 'portainer', 'uptime-kuma']);
  });

  it('waits for a locked stack during destroy too', async () => {
    engine.withStack(ENV);
    engine.failNext('destroy', 'concurrent_update', 'currently locked by 1 lock(s)');
    await provisioner().destroy(request(sandbox));
    expect(engine.count('destroy')).toBe(2);
    expect(engine.stacks.has(ENV)).toBe(false);
  });
});

describe('PulumiProvisioner.refresh and outputs', () => {
  it('refreshes an existing stack and skips a missing one', async () => {
    const signal = new AbortController().signal;
    await provisioner().refresh(ENV, signal);
    expect(engine.count('refresh')).toBe(0);
    engine.withStack(ENV);
    await provisioner().refresh(ENV, signal);
    expect(engine.calls.at(-1)).toEqual({ method: 'refresh', stack: ENV, options: { clearPendingCreates: false } });
  });

  it('reads no endpoints for a missing stack or one without endpoint outputs', async () => {
    expect(await provisioner().outputs(ENV)).toBeUndefined();
    engine.withStack(ENV, { resources: [] }, { instanceId: 'i-1' });
    expect(await provisioner().outputs(ENV)).toBeUndefined();
  });

  it('turns a failed status read into an AppError', async () => {
    engine.failNext('outputs', 'secrets', 'incorrect passphrase');
    expect(await refusal(provisioner().outputs(ENV))).toMatchObject({ code: 'pulumi_secrets', retry: false });
  });
});
