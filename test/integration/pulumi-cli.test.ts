import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Preset } from '../../src/domain/presets.js';
import { silentLogger } from '../../src/log.js';
import type { ProgressEvent } from '../../src/provisioners/port.js';
import { LocalWorkspaceEngine } from '../../src/provisioners/pulumi/local-engine.js';
import { PulumiProvisioner } from '../../src/provisioners/pulumi/provisioner.js';
import type { PulumiSettings } from '../../src/provisioners/pulumi/settings.js';
import { checkPulumiSetup, type PulumiCli } from '../../src/provisioners/pulumi/startup.js';

/**
 * A real `pulumi up` and `pulumi destroy` through our LocalWorkspaceEngine, with a file backend in a temp folder and a
 * program that creates no cloud resource (it only returns endpoint outputs), so it needs the CLI but no AWS account.
 * Without the CLI on PATH (or in ~/.pulumi/bin) the test is reported as skipped, with the reason in its name.
 */
const scratch = mkdtempSync(join(tmpdir(), 'pulumi-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const settings: PulumiSettings = {
  projectName: 'aithroyz-it',
  backendUrl: `file://${join(scratch, 'state')}`,
  passphrase: 'integration-test-passphrase',
  secretsProvider: undefined,
  pulumiHome: undefined,
  region: 'us-east-1',
  allowedCidrs: ['203.0.113.0/24'],
};

function findCli(): PulumiCli | undefined {
  try {
    return checkPulumiSetup(settings);
  } catch {
    return undefined;
  }
}

const cli = findCli();
const preset: Preset = loadCatalog().find('quick-sandbox')!;
const endpoints = Object.fromEntries(preset.tools.map((tool) => [tool.id, `http://198.51.100.7:${tool.port}`]));

describe('the Pulumi provisioner with the real CLI', () => {
  it.skipIf(!cli)(
    `real up/destroy with a local file backend${cli ? '' : ' (skipped: pulumi CLI not on PATH; see docs/pulumi.md)'}`,
    async () => {
      const engine = new LocalWorkspaceEngine({ ...settings, cliRoot: cli?.root });
      const provisioner = new PulumiProvisioner({
        engine: async () => engine,
        lab: { projectName: settings.projectName, region: settings.region, allowedCidrs: settings.allowedCidrs },
        busyRetry: { attempts: 3, firstDelayMs: 500, maxDelayMs: 2_000 },
        log: silentLogger,
        programFor: async () => async () => ({ endpoints }),
      });
      const envId = `env-it${Date.now().toString(36).slice(-4)}`;
      const progress: ProgressEvent[] = [];
      const request = { envId, preset, signal: AbortSignal.timeout(110_000), onProgress: async (event: ProgressEvent) => void progress.push(event) };

      expect((await provisioner.deploy(request)).endpoints).toEqual(endpoints);
      expect(progress.filter((event) => event.status === 'ready').map((event) => event.toolId)).toEqual(preset.tools.map((tool) => tool.id));
      expect(await provisioner.outputs(envId)).toEqual(endpoints);
      expect(await engine.exportStack(envId)).toMatchObject({ version: expect.any(Number) });

      // A second deploy converges on the same stack.
      expect((await provisioner.deploy(request)).endpoints).toEqual(endpoints);

      await provisioner.destroy(request);
      expect(await engine.exportStack(envId)).toBeUndefined();
      expect(await provisioner.outputs(envId)).toBeUndefined();
      // Destroying what is already gone succeeds.
      await provisioner.destroy(request);
    },
    120_000,
  );
});
