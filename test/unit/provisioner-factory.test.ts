import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { createProvisioner } from '../../src/provisioners/index.js';
import { envLockKey } from '../../src/provisioners/lock.js';
import { simulatedEndpoint } from '../../src/provisioners/local.js';

/** The factory does not touch the database until a provisioner works. */
const unusedDb = {} as Db;

describe('createProvisioner', () => {
  it('builds the local simulator for PROVISIONER=local, whose start-up line names the provisioner once', () => {
    const lines: string[] = [];
    const provisioner = createProvisioner(loadConfig({}), unusedDb, createLogger('info', { write: (line: string) => void lines.push(line) }));
    expect(provisioner.name).toBe('local');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.match(/"provisioner"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ provisioner: 'local', msg: expect.stringMatching(/simulator/) });
  });

  it('runs the Pulumi start-up checks for PROVISIONER=pulumi and stops on a problem, saying what to set', () => {
    const config = loadConfig({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'x', LAB_ALLOWED_CIDRS: '10.0.0.0/8', PULUMI_BACKEND_URL: 'ftp://state' });
    expect(() => createProvisioner(config, unusedDb, silentLogger)).toThrow(/^PROVISIONER=pulumi cannot start:\n(.*\n)* {2}- PULUMI_BACKEND_URL "ftp:\/\/state": Pulumi has no "ftp" backend/);
  });
});

describe('simulated endpoints and lock keys', () => {
  it('gives endpoints under a name that never resolves', () => {
    expect(simulatedEndpoint('grafana', 'env-abc123')).toBe('https://grafana.env-abc123.lab.local.invalid');
  });

  it('gives each environment its own stable 64-bit lock key', () => {
    expect(envLockKey('env-abc123')).toBe(envLockKey('env-abc123'));
    expect(envLockKey('env-abc123')).not.toBe(envLockKey('env-abc124'));
    expect(BigInt(envLockKey('env-abc123'))).toBeLessThan(2n ** 63n);
  });
});
