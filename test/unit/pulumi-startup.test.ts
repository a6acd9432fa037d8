import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { createPulumiProvisioner } from '../../src/provisioners/pulumi/index.js';
import { defaultBackendUrl, pulumiSettingsOf, type PulumiSettings } from '../../src/provisioners/pulumi/settings.js';
import { checkPulumiSetup, isCidr, PulumiSetupError, type StartupCheckOptions } from '../../src/provisioners/pulumi/startup.js';

const scratch = mkdtempSync(join(tmpdir(), 'pulumi-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder with an executable `pulumi` that prints a version, like the real CLI's `pulumi version`. */
function fakeCliFolder(name: string): string {
  const folder = join(scratch, name);
  mkdirSync(folder, { recursive: true });
  const cli = join(folder, 'pulumi');
  writeFileSync(cli, '#!/bin/sh\necho v3.230.0\n');
  chmodSync(cli, 0o755);
  return folder;
}

const emptyFolder = join(scratch, 'empty');
mkdirSync(emptyFolder);
/** A PATH with no pulumi on it (and an empty home, so ~/.pulumi/bin has none either). */
const noCli: StartupCheckOptions = { env: { PATH: emptyFolder }, homeDir: emptyFolder };
const withCli: StartupCheckOptions = { env: { PATH: fakeCliFolder('path-bin') }, homeDir: emptyFolder };

function settings(overrides: Partial<PulumiSettings> = {}): PulumiSettings {
  return {
    projectName: 'aithroyz-labs',
    backendUrl: `file://${join(scratch, 'state')}`,
    passphrase: 'correct-horse-battery',
    secretsProvider: undefined,
    pulumiHome: undefined,
    region: 'eu-west-1',
    allowedCidrs: ['203.0.113.0/24'],
    ...overrides,
  };
}

function problemsOf(overrides: Partial<PulumiSettings>, options: StartupCheckOptions = withCli): string[] {
  try {
    checkPulumiSetup(settings(overrides), options);
  } catch (error) {
    expect(error).toBeInstanceOf(PulumiSetupError);
    return (error as PulumiSetupError).problems;
  }
  throw new Error('expected the start-up checks to refuse');
}

describe('checkPulumiSetup', () => {
  it('passes with a CLI on PATH, a file backend, a passphrase and CIDRs, creating the state folder', () => {
    const backend = join(scratch, 'new-state', 'deep');
    expect(checkPulumiSetup(settings({ backendUrl: `file://${backend}` }), withCli)).toEqual({ root: undefined, version: 'v3.230.0' });
    expect(existsSync(backend)).toBe(true);
  });

  it('stops when the CLI is on neither PATH nor PULUMI_HOME/bin, saying what to install or set', () => {
    const problems = problemsOf({}, noCli);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(
      `pulumi CLI: not found on PATH nor in ${join(emptyFolder, '.pulumi', 'bin')}; install it (curl -fsSL https://get.pulumi.com | sh) or set PULUMI_HOME to the folder whose bin/ holds it (see docs/pulumi.md)`,
    );
  });

  it("uses PULUMI_HOME's bin when the CLI is not on PATH", () => {
    const home = join(scratch, 'pulumi-home');
    fakeCliFolder('pulumi-home/bin');
    expect(checkPulumiSetup(settings({ pulumiHome: home }), noCli)).toEqual({ root: home, version: 'v3.230.0' });
    expect(problemsOf({ pulumiHome: join(scratch, 'elsewhere') }, noCli)[0]).toContain(`nor in ${join(scratch, 'elsewhere', 'bin')}`);
  });

  it('stops without a passphrase or secrets provider, or with an unknown provider', () => {
    expect(problemsOf({ passphrase: undefined })).toEqual([
      'PULUMI_CONFIG_PASSPHRASE: set it (or PULUMI_SECRETS_PROVIDER to a KMS URL such as awskms://alias/labs) so stack secrets can be encrypted (see docs/pulumi.md)',
    ]);
    expect(problemsOf({ passphrase: undefined, secretsProvider: 'passphrase' })[0]).toMatch(/^PULUMI_CONFIG_PASSPHRASE: set it/);
    expect(problemsOf({ secretsProvider: 'vault' })[0]).toMatch(/^PULUMI_SECRETS_PROVIDER "vault" is not a secrets provider/);
    expect(checkPulumiSetup(settings({ passphrase: undefined, secretsProvider: 'awskms://alias/labs?region=eu-west-1' }), withCli).version).toBe('v3.230.0');
  });

  it.each([
    ['not a url', /is not a URL/],
    ['ftp://state.example.com/x', /Pulumi has no "ftp" backend/],
    ['s3://', /names no bucket/],
    ['file://', /names no folder/],
    [`file://${join(scratch, 'a-file')}/under`, /cannot be created \(ENOTDIR\)/],
  ])('stops on the bad backend URL %s', (backendUrl, says) => {
    writeFileSync(join(scratch, 'a-file'), '');
    const problems = problemsOf({ backendUrl });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PULUMI_BACKEND_URL /);
    expect(problems[0]).toMatch(says);
  });

  it('accepts the backends Pulumi has, and never echoes a password in a backend URL', () => {
    for (const backendUrl of ['s3://labs-state', 'gs://labs-state', 'azblob://state', 'https://api.pulumi.com', 'postgres://u:p@db:5432/state']) {
      expect(() => checkPulumiSetup(settings({ backendUrl }), withCli)).not.toThrow();
    }
    expect(problemsOf({ backendUrl: 'mysql://u:hunter2@db/state' })[0]).not.toContain('hunter2');
  });

  it('stops without allowed CIDRs or with one that is not a CIDR', () => {
    expect(problemsOf({ allowedCidrs: [] })[0]).toMatch(/^LAB_ALLOWED_CIDRS: set the comma-separated CIDRs/);
    expect(problemsOf({ allowedCidrs: ['203.0.113.0/24', '10.0.0.0', 'office'] })).toEqual([
      'LAB_ALLOWED_CIDRS: "10.0.0.0" is not a CIDR; write it like 203.0.113.0/24 or 2001:db8::/32',
      'LAB_ALLOWED_CIDRS: "office" is not a CIDR; write it like 203.0.113.0/24 or 2001:db8::/32',
    ]);
  });

  it('lists every problem at once, one line each, in its message', () => {
    try {
      checkPulumiSetup(settings({ passphrase: undefined, backendUrl: 'nope', allowedCidrs: [] }), noCli);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message.split('\n');
      expect(message[0]).toBe('PROVISIONER=pulumi cannot start:');
      const subjects = message.slice(1).map((line) => /^ {2}- (pulumi CLI|PULUMI_BACKEND_URL|PULUMI_CONFIG_PASSPHRASE|LAB_ALLOWED_CIDRS)\b/.exec(line)?.[1]);
      expect(subjects).toEqual(['pulumi CLI', 'PULUMI_BACKEND_URL', 'PULUMI_CONFIG_PASSPHRASE', 'LAB_ALLOWED_CIDRS']);
    }
  });
});

describe('isCidr', () => {
  it('accepts IPv4 and IPv6 CIDRs and refuses the rest', () => {
    for (const good of ['0.0.0.0/0', '203.0.113.7/32', '10.0.0.0/8', '2001:db8::/32', '::/0']) expect(isCidr(good), good).toBe(true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', '300.0.0.0/8', '10.0.0.0/8/1', '10.0.0.0/x', '']) expect(isCidr(bad), bad).toBe(false);
  });
});

describe('settings from the configuration', () => {
  it('defaults the backend to a file backend under DATA_DIR, the project and the region', () => {
    const config = loadConfig({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'pw', LAB_ALLOWED_CIDRS: '203.0.113.0/24', DATA_DIR: 'var/data' });
    expect(pulumiSettingsOf(config)).toEqual({
      projectName: 'aithroyz-labs',
      backendUrl: `file://${resolve('var/data', 'pulumi')}`,
      passphrase: 'pw',
      secretsProvider: undefined,
      pulumiHome: undefined,
      region: 'us-east-1',
      allowedCidrs: ['203.0.113.0/24'],
    });
    expect(defaultBackendUrl('/srv/bot')).toBe('file:///srv/bot/pulumi');
  });

  it('refuses a malformed region or project name at configuration time', () => {
    expect(() => loadConfig({ LAB_AWS_REGION: 'Europe' })).toThrow(/LAB_AWS_REGION.*must be an AWS region/);
    expect(() => loadConfig({ PULUMI_PROJECT: 'my project' })).toThrow(/PULUMI_PROJECT.*must be letters/);
  });
});

describe('createPulumiProvisioner', () => {
  const config = loadConfig({
    PROVISIONER: 'pulumi',
    PULUMI_CONFIG_PASSPHRASE: 'pw',
    LAB_ALLOWED_CIDRS: '203.0.113.0/24',
    PULUMI_BACKEND_URL: `file://${join(scratch, 'factory-state')}`,
  });

  it('runs the start-up checks and builds the pulumi provisioner', () => {
    expect(createPulumiProvisioner(config, silentLogger, withCli).name).toBe('pulumi');
  });

  it('stops start-up when the checks fail', () => {
    expect(() => createPulumiProvisioner(config, silentLogger, noCli)).toThrow(PulumiSetupError);
  });
});
