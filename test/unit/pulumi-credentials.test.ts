import * as pulumi from '@pulumi/pulumi';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CloudCredentials } from '../../src/domain/cloud-keys.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { silentLogger } from '../../src/log.js';
import type { ProgressEvent } from '../../src/provisioners/port.js';
import { PulumiProvisioner } from '../../src/provisioners/pulumi/provisioner.js';
import { FakeEngine } from '../fakes/pulumi-engine.js';
import { newPair } from '../support/cloud-keys.js';

/**
 * A lab's cloud key in the real AWS program, run under Pulumi's mocks through the provisioner (with the fake engine,
 * which runs the program it is given): the provider gets the key's pair as secret inputs and its region, and a
 * destroy after a rotation runs the program again with the new pair, not the one the state recorded at the deploy.
 */
const PROVIDER = 'pulumi:providers:aws';
const sandbox = loadCatalog().find('quick-sandbox')!;
const ENV = 'env-abc123';

let providers: Record<string, unknown>[];

/** Pulumi's wire form of a secret value (its special signature), as the mocks receive a secret input. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const secret = (value: string) => ({ [SECRET_SIG]: '1b47061264138c4ac30d75fd1eb44270', value });
let engine: FakeEngine;
let run = 0;

function credentials(region = 'eu-central-1'): CloudCredentials {
  return { keyId: 'key-abc234', name: 'labs', provider: 'aws', region, ...newPair() };
}

async function mocks(): Promise<void> {
  run += 1;
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        if (type === PROVIDER) providers.push(inputs as Record<string, unknown>);
        const state = type === 'aws:ec2/instance:Instance' ? { ...inputs, publicDns: 'ec2-203-0-113-10.compute.amazonaws.com', publicIp: '203.0.113.10' } : inputs;
        return { id: `${name}-id`, state };
      },
      call: ({ token }) => (token === 'aws:ec2/getVpc:getVpc' ? { id: 'vpc-default' } : { id: 'ami-0al2023', architecture: 'x86_64' }),
    },
    'aithroyz-labs',
    `env-cred${run}`,
    false,
  );
}

function provisioner(): PulumiProvisioner {
  // No programFor: the provisioner generates the real AWS program.
  return new PulumiProvisioner({
    engine: async () => engine,
    lab: { projectName: 'aithroyz-labs', region: 'us-east-1', allowedCidrs: ['203.0.113.0/24'] },
    busyRetry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 2 },
    log: silentLogger,
  });
}

function request(key: CloudCredentials | undefined) {
  return { envId: ENV, preset: sandbox, signal: new AbortController().signal, onProgress: async (_event: ProgressEvent) => undefined, ...(key ? { credentials: key } : {}) };
}

beforeEach(async () => {
  providers = [];
  engine = new FakeEngine();
  await mocks();
});

describe('a lab deployed with a cloud key', () => {
  it('gives the provider the key’s pair and region', async () => {
    const key = credentials();
    await provisioner().deploy(request(key));
    expect(providers).toHaveLength(1);
    // Both arrive as secrets: Pulumi writes them to the state encrypted by the stack's secrets provider.
    expect(providers[0]).toMatchObject({ accessKey: secret(key.accessKeyId), secretKey: secret(key.secretAccessKey), region: 'eu-central-1' });
  });

  it('marks the pair secret, so the state keeps it encrypted by the stack’s secrets provider', async () => {
    const { providerCredentials } = await import('../../src/provisioners/pulumi/program.js');
    const inputs = providerCredentials(credentials());
    expect(await pulumi.isSecret(pulumi.output(inputs.accessKey))).toBe(true);
    expect(await pulumi.isSecret(pulumi.output(inputs.secretKey))).toBe(true);
    expect(providerCredentials(undefined)).toEqual({});
  });

  it('is destroyed by running its program again with the pair it has now, after a rotation', async () => {
    const deployed = credentials();
    await provisioner().deploy(request(deployed));
    const rotated = { ...credentials(), region: deployed.region };
    await provisioner().destroy(request(rotated));
    expect(engine.calls.filter((call) => call.method === 'destroy')).toEqual([{ method: 'destroy', stack: ENV, ranProgram: true }]);
    expect(providers.map((inputs) => inputs.accessKey)).toEqual([secret(deployed.accessKeyId), secret(rotated.accessKeyId)]);
    expect(providers[1]).toMatchObject({ secretKey: secret(rotated.secretAccessKey) });
  });

  it('refreshes with the program too, and a lab without a key is destroyed from its state alone, with the process’s credentials', async () => {
    const key = credentials();
    engine.withStack(ENV);
    await provisioner().refresh(ENV, new AbortController().signal, { preset: sandbox, credentials: key });
    expect(engine.calls.find((call) => call.method === 'refresh')).toMatchObject({ ranProgram: true });
    expect(providers.at(-1)).toMatchObject({ accessKey: secret(key.accessKeyId) });

    providers = [];
    await provisioner().deploy(request(undefined));
    expect(providers[0]).not.toHaveProperty('accessKey');
    expect(providers[0]).toMatchObject({ region: 'us-east-1' });
    await provisioner().destroy(request(undefined));
    expect(engine.calls.filter((call) => call.method === 'destroy').at(-1)).toEqual({ method: 'destroy', stack: ENV });
  });
});
