import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/domain/presets.js';
import { silentLogger } from '../../src/log.js';
import { EngineError } from '../../src/provisioners/pulumi/engine.js';
import { LocalWorkspaceEngine, type LocalEngineSettings } from '../../src/provisioners/pulumi/local-engine.js';
import { PulumiProvisioner } from '../../src/provisioners/pulumi/provisioner.js';
import { FakePulumiCli } from '../fakes/pulumi-cli.js';

/**
 * LocalWorkspaceEngine over the real Automation API, with a scripted stand-in for the CLI: which commands it runs,
 * with which variables, and what the SDK's errors become. (test/integration/pulumi-cli.test.ts runs the real CLI.)
 */
const scratch = mkdtempSync(join(tmpdir(), 'pulumi-engine-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cli = new FakePulumiCli(join(scratch, 'cli'));
const PASSPHRASE = 'correct-horse-battery';
const settings: LocalEngineSettings = {
  projectName: 'aithroyz-labs',
  backendUrl: `file://${join(scratch, 'state')}`,
  passphrase: PASSPHRASE,
  secretsProvider: undefined,
  pulumiHome: undefined,
  cliRoot: cli.root,
};
const STACK = 'env-abc123';
const signal = new AbortController().signal;
const noProgram = async () => ({});
const endpoints = { grafana: 'http://203.0.113.10:3000' };

let engine: LocalWorkspaceEngine;

beforeEach(() => {
  cli.reset();
  engine = new LocalWorkspaceEngine(settings);
});

async function engineFailure(promise: Promise<unknown>): Promise<EngineError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

describe('LocalWorkspaceEngine', () => {
  it('creates a missing stack on up, returns its output values, and gives the CLI the backend and passphrase', async () => {
    cli.upOutputs({ endpoints });
    expect(await engine.up(STACK, noProgram, { signal })).toEqual({ endpoints });
    expect(cli.commands()).toEqual(['stack select', 'stack init', 'up', 'stack output', 'stack output', 'stack history']);
    const up = cli.calls().find((call) => call.args[0] === 'up')!;
    expect(up.args).toEqual(expect.arrayContaining(['--yes', '--skip-preview', '--stack', STACK]));
    expect(up.env).toEqual({ PULUMI_BACKEND_URL: settings.backendUrl, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: 'true' });
    expect(cli.stacks()[STACK]?.outputs).toEqual({ endpoints });
  });

  it('turns a held lock into a concurrent_update EngineError', async () => {
    cli.setStack(STACK, { resources: [] });
    cli.fail('up', 'error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.');
    expect(await engineFailure(engine.up(STACK, noProgram, { signal }))).toMatchObject({ kind: 'concurrent_update' });
  });

  it('turns refused AWS credentials into a credentials EngineError without the key id', async () => {
    cli.setStack(STACK, { resources: [] });
    cli.fail('up', '    * creating EC2 Instance: AuthFailure: AWS was not able to validate the provided access credentials (key AKIAIOSFODNN7EXAMPLE)');
    const error = await engineFailure(engine.up(STACK, noProgram, { signal }));
    expect(error.kind).toBe('credentials');
    expect(error.detail).toBe('creating EC2 Instance: AuthFailure: AWS was not able to validate the provided access credentials (key [redacted])');
  });

  it('treats a missing stack as missing: undefined outputs and export, removal succeeds, destroy and refresh say so', async () => {
    expect(await engine.outputs(STACK)).toBeUndefined();
    expect(await engine.exportStack(STACK)).toBeUndefined();
    await engine.removeStack(STACK);
    expect(await engineFailure(engine.destroy(STACK, { signal }))).toMatchObject({ kind: 'stack_missing' });
    expect(await engineFailure(engine.refresh(STACK, { signal }))).toMatchObject({ kind: 'stack_missing' });
  });

  it('refreshes with --clear-pending-creates only when asked, and exports and imports state', async () => {
    cli.setStack(STACK, { resources: [], pending_operations: [{ resource: { urn: 'u' }, type: 'creating' }] });
    const lastRefresh = () => cli.calls().filter((call) => call.args[0] === 'refresh').at(-1)?.args;
    await engine.refresh(STACK, { signal });
    expect(lastRefresh()).not.toContain('--clear-pending-creates');
    await engine.refresh(STACK, { signal, clearPendingCreates: true });
    expect(lastRefresh()).toContain('--clear-pending-creates');
    expect(await engine.exportStack(STACK)).toEqual({ version: 3, deployment: { resources: [] } });
    await engine.importStack(STACK, { version: 3, deployment: { resources: [{ urn: 'imported' }] } });
    expect(cli.stacks()[STACK]?.deployment).toEqual({ resources: [{ urn: 'imported' }] });
  });

  it('destroys and removes a stack', async () => {
    cli.setStack(STACK, { resources: [{ urn: 'u' }] }, { endpoints });
    expect(await engine.outputs(STACK)).toEqual({ endpoints });
    await engine.destroy(STACK, { signal });
    await engine.removeStack(STACK);
    expect(cli.stacks()).toEqual({});
  });

  it('destroys and refreshes with --run-program when given the lab’s program, with no key on the command line', async () => {
    cli.setStack(STACK, { resources: [{ urn: 'u' }] }, { endpoints });
    await engine.refresh(STACK, { signal, program: noProgram });
    await engine.destroy(STACK, { signal, program: noProgram });
    const [refresh, destroy] = ['refresh', 'destroy'].map((command) => cli.calls().find((call) => call.args[0] === command)!);
    expect(refresh!.args).toContain('--run-program=true');
    expect(destroy!.args).toContain('--run-program=true');
    for (const call of cli.calls()) expect(call.args.join(' ')).not.toMatch(/AKIA|accessKey|secretKey|config/);
    // Without a program, from the state alone, as before.
    cli.reset();
    cli.setStack(STACK, { resources: [{ urn: 'u' }] }, { endpoints });
    await engine.destroy(STACK, { signal });
    expect(cli.calls().find((call) => call.args[0] === 'destroy')!.args).not.toContain('--run-program=true');
  });

  it('says the CLI is missing when its folder has none', async () => {
    const missing = new LocalWorkspaceEngine({ ...settings, cliRoot: join(scratch, 'nowhere') });
    expect(await engineFailure(missing.outputs(STACK))).toMatchObject({ kind: 'cli_missing' });
  });
});

describe('PulumiProvisioner over the Automation API', () => {
  const preset = loadCatalog().find('soc-platform')!;
  const urls = Object.fromEntries(preset.tools.map((tool) => [tool.id, `http://203.0.113.10:${tool.port}`]));
  const provisioner = () =>
    new PulumiProvisioner({
      engine: async () => engine,
      lab: { projectName: 'aithroyz-labs', region: 'eu-west-1', allowedCidrs: ['203.0.113.0/24'] },
      busyRetry: { attempts: 3, firstDelayMs: 1, maxDelayMs: 2 },
      log: silentLogger,
      programFor: async () => noProgram,
    });
  const request = { envId: STACK, preset, signal, onProgress: async () => undefined };

  it('recovers from a crash (pending operations), waits out a lock, deploys, destroys, and never cancels', async () => {
    cli.setStack(STACK, { resources: [], pending_operations: [{ resource: { urn: 'u' }, type: 'creating' }] });
    cli.fail('up', 'error: [409] Conflict: Another update is currently in progress.');
    cli.upOutputs({ endpoints: urls });

    expect((await provisioner().deploy(request)).endpoints).toEqual(urls);
    await provisioner().destroy(request);

    expect(cli.commands()).toEqual([
      'stack export',
      'stack select',
      'refresh',
      'stack history',
      'stack export',
      'stack select',
      'up',
      'stack select',
      'up',
      'stack output',
      'stack output',
      'stack history',
      'stack export',
      'stack select',
      'destroy',
      'stack history',
      'stack rm',
    ]);
    expect(cli.calls().find((call) => call.args[0] === 'refresh')?.args).toContain('--clear-pending-creates');
    expect(cli.stacks()).toEqual({});
  }, 60_000);
});
