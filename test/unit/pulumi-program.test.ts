import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Preset } from '../../src/domain/presets.js';
import type { LabOutputs, LabSpec } from '../../src/provisioners/pulumi/program.js';

/**
 * Each preset's program run under Pulumi's mocks: no CLI, no cloud. The mocks record every resource and invoke, and
 * give the instance a public DNS name so the endpoint outputs resolve.
 */
interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const PUBLIC_DNS = 'ec2-203-0-113-10.eu-west-1.compute.amazonaws.com';
const INSTANCE = 'aws:ec2/instance:Instance';
const INGRESS = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule';
const EGRESS = 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule';
const GROUP = 'aws:ec2/securityGroup:SecurityGroup';
const PROVIDER = 'pulumi:providers:aws';

const catalog = loadCatalog();
let defineLab: (spec: LabSpec) => LabOutputs;
let labProgram: (spec: LabSpec) => () => Promise<Record<string, unknown>>;
let registered: Registered[];
let invoked: { token: string; inputs: Record<string, unknown> }[];
let run = 0;

beforeAll(async () => {
  ({ defineLab, labProgram } = await import('../../src/provisioners/pulumi/program.js'));
});

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Runs a lab's program under fresh mocks (each run a stack of its own) and waits for its outputs. */
async function runLab(preset: Preset, allowedCidrs: string[] = ['203.0.113.0/24'], publicDns = PUBLIC_DNS) {
  registered = [];
  invoked = [];
  run += 1;
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        registered.push({ type, name, inputs });
        const state = type === INSTANCE ? { ...inputs, publicDns, publicIp: '203.0.113.10' } : inputs;
        return { id: `${name}-id`, state };
      },
      call: ({ token, inputs }) => {
        invoked.push({ token, inputs });
        return token === 'aws:ec2/getVpc:getVpc' ? { id: 'vpc-default' } : { id: 'ami-0al2023', architecture: 'x86_64' };
      },
    },
    'aithroyz-labs',
    `env-run${run}`,
    false,
  );
  const outputs = defineLab({ envId: 'env-abc123', preset, region: 'eu-west-1', allowedCidrs });
  const [endpoints, instanceId, securityGroupId] = await Promise.all([valueOf(outputs.endpoints), valueOf(outputs.instanceId), valueOf(outputs.securityGroupId)]);
  return { endpoints, instanceId, securityGroupId };
}

const ofType = (type: string) => registered.filter((resource) => resource.type === type);

describe.each(catalog.presets.map((preset) => [preset.id, preset] as const))('the %s program', (_id, preset) => {
  it('creates one provider, security group, egress rule and instance, and one ingress rule per tool', async () => {
    await runLab(preset);
    expect(ofType(PROVIDER).map((r) => r.name)).toEqual(['aws']);
    expect(ofType(GROUP).map((r) => r.name)).toEqual(['lab']);
    expect(ofType(EGRESS).map((r) => r.name)).toEqual(['lab-egress']);
    expect(ofType(INSTANCE).map((r) => r.name)).toEqual(['lab']);
    expect(ofType(INGRESS).map((r) => r.name)).toEqual(preset.tools.map((tool) => `${tool.id}-ingress-0`));
    expect(registered).toHaveLength(4 + preset.tools.length);
  });

  it("sizes the instance by the preset and runs each tool's pinned image on its port in the user data", async () => {
    await runLab(preset);
    const instance = ofType(INSTANCE)[0]!.inputs;
    expect(instance).toMatchObject({
      instanceType: preset.instanceSize,
      ami: 'ami-0al2023',
      vpcSecurityGroupIds: ['lab-id'],
      associatePublicIpAddress: true,
      metadataOptions: { httpTokens: 'required' },
      rootBlockDevice: { volumeSize: 20 + 10 * preset.tools.length, volumeType: 'gp3', encrypted: true },
    });
    const userData = String(instance.userData);
    expect(userData).toMatch(/^#!\/bin\/bash\n/);
    expect(userData).toContain('dnf install -y docker');
    for (const tool of preset.tools) {
      expect(userData).toContain(`docker run -d --name ${tool.id} --restart unless-stopped -p ${tool.port}:${tool.port} --memory ${tool.memoryMb}m ${tool.image}`);
    }
  });

  it('opens each tool port to the allowed CIDRs only, and nothing else inbound', async () => {
    await runLab(preset, ['203.0.113.0/24', '2001:db8::/32']);
    const rules = ofType(INGRESS).map((rule) => rule.inputs);
    expect(rules).toHaveLength(preset.tools.length * 2);
    for (const tool of preset.tools) {
      const own = rules.filter((rule) => rule.fromPort === tool.port);
      expect(own).toEqual([
        { securityGroupId: 'lab-id', description: tool.name, ipProtocol: 'tcp', fromPort: tool.port, toPort: tool.port, cidrIpv4: '203.0.113.0/24' },
        { securityGroupId: 'lab-id', description: tool.name, ipProtocol: 'tcp', fromPort: tool.port, toPort: tool.port, cidrIpv6: '2001:db8::/32' },
      ]);
    }
    expect(rules.filter((rule) => rule.cidrIpv4 === '0.0.0.0/0' || rule.cidrIpv6 === '::/0')).toEqual([]);
    expect(ofType(GROUP)[0]!.inputs).toMatchObject({ vpcId: 'vpc-default' });
    expect(ofType(GROUP)[0]!.inputs).not.toHaveProperty('ingress');
  });

  it('outputs one URL per tool, keyed by tool id, on the instance public name', async () => {
    const { endpoints, instanceId, securityGroupId } = await runLab(preset);
    expect(Object.keys(endpoints)).toEqual(preset.tools.map((tool) => tool.id));
    for (const tool of preset.tools) {
      const scheme = String(tool.port).endsWith('443') ? 'https' : 'http';
      expect(endpoints[tool.id]).toBe(`${scheme}://${PUBLIC_DNS}:${tool.port}`);
    }
    expect(instanceId).toBe('lab-id');
    expect(securityGroupId).toBe('lab-id');
  });
});

describe('lab program settings', () => {
  const sandbox = catalog.find('quick-sandbox')!;

  it('opens the tools to the whole internet only when LAB_ALLOWED_CIDRS says 0.0.0.0/0', async () => {
    await runLab(sandbox, ['0.0.0.0/0']);
    expect(ofType(INGRESS).map((rule) => rule.inputs.cidrIpv4)).toEqual(['0.0.0.0/0', '0.0.0.0/0', '0.0.0.0/0']);
  });

  it('puts every resource in the configured region, tagged with the lab and preset, in the default VPC', async () => {
    await runLab(sandbox);
    const provider = ofType(PROVIDER)[0]!.inputs;
    expect(provider.region).toBe('eu-west-1');
    expect(JSON.parse(String(provider.defaultTags))).toEqual({ tags: { 'aithroyz:env': 'env-abc123', 'aithroyz:preset': 'quick-sandbox' } });
    expect(invoked.find((call) => call.token === 'aws:ec2/getVpc:getVpc')?.inputs).toEqual({ default: true });
    expect(ofType(INSTANCE)[0]!.inputs.tags).toEqual({ Name: 'aithroyz-env-abc123' });
  });

  it('picks the newest Amazon Linux 2023 image of the instance architecture (arm64 for Graviton sizes)', async () => {
    await runLab({ ...sandbox, instanceSize: 't4g.large' });
    const ami = invoked.find((call) => call.token === 'aws:ec2/getAmi:getAmi')?.inputs;
    expect(ami).toMatchObject({ owners: ['amazon'], mostRecent: true });
    expect(ami?.filters).toEqual([
      { name: 'name', values: ['al2023-ami-2023.*-arm64'] },
      { name: 'architecture', values: ['arm64'] },
    ]);
    await runLab(sandbox);
    expect(JSON.stringify(invoked)).toContain('al2023-ami-2023.*-x86_64');
  });

  it('is the inline program of a stack: it returns the endpoints, instance and security group outputs', async () => {
    await runLab(sandbox);
    const outputs = await labProgram({ envId: 'env-abc123', preset: sandbox, region: 'eu-west-1', allowedCidrs: ['203.0.113.0/24'] })();
    expect(Object.keys(outputs).sort()).toEqual(['endpoints', 'instanceId', 'securityGroupId']);
    expect(await valueOf(outputs.endpoints as pulumi.Output<Record<string, string>>)).toHaveProperty('portainer', `https://${PUBLIC_DNS}:9443`);
  });

  it('lets outbound traffic out, for image pulls', async () => {
    await runLab(sandbox);
    expect(ofType(EGRESS)[0]!.inputs).toEqual({ securityGroupId: 'lab-id', ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' });
  });

  it('gives URLs on the public IP when the VPC gives the instance no DNS name', async () => {
    const { endpoints } = await runLab(sandbox, ['203.0.113.0/24'], '');
    expect(endpoints).toEqual({
      'code-server': 'https://203.0.113.10:8443',
      portainer: 'https://203.0.113.10:9443',
      'uptime-kuma': 'http://203.0.113.10:3001',
    });
  });
});
