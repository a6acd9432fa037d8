import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { CloudCredentials } from '../../domain/cloud-keys.js';
import type { Preset, ToolDefinition } from '../../domain/presets.js';
import { AppError } from '../../errors.js';
import type { LabProgram } from './engine.js';
import { SHARED_RESOURCES, toolRuleName } from './naming.js';
import { architectureOf, renderUserData, rootVolumeGb, toolUrl } from './user-data.js';

/** Everything a lab's program is generated from. */
export interface LabSpec {
  envId: string;
  preset: Preset;
  region: string;
  /** Who may reach the tools; only these CIDRs are let in, on the tools' ports only. */
  allowedCidrs: readonly string[];
  /**
   * The lab's cloud key, with its current pair: the provider's credentials, as secret inputs (Pulumi keeps them in the
   * state encrypted by the stack's secrets provider), and its region. Without one, the provider uses the process's
   * standard AWS credentials and `region`.
   */
  credentials?: CloudCredentials;
}

/** The stack outputs: `endpoints` holds one URL per tool, keyed by tool id. */
export interface LabOutputs {
  endpoints: pulumi.Output<Record<string, string>>;
  instanceId: pulumi.Output<string>;
  securityGroupId: pulumi.Output<string>;
}

/** The tag every resource of a lab carries, so a lab's resources can be found in the AWS console or billing. */
export const ENV_TAG = 'aithroyz:env';

/**
 * The inline program of one lab, generated from its preset: a security group in the region's default VPC that lets
 * the allowed CIDRs reach each tool's port, and one instance whose user data runs the tools in Docker.
 */
export function labProgram(spec: LabSpec): LabProgram {
  checkPorts(spec.preset);
  return async () => {
    const outputs = defineLab(spec);
    return { ...outputs };
  };
}

export function defineLab({ envId, preset, region, allowedCidrs, credentials }: LabSpec): LabOutputs {
  const provider = new aws.Provider(SHARED_RESOURCES.provider, {
    region: (credentials?.region ?? region) as aws.Region,
    ...providerCredentials(credentials),
    defaultTags: { tags: { [ENV_TAG]: envId, 'aithroyz:preset': preset.id } },
  });
  const opts = { provider };
  const vpc = aws.ec2.getVpcOutput({ default: true }, opts);
  const group = new aws.ec2.SecurityGroup(
    SHARED_RESOURCES.securityGroup,
    { vpcId: vpc.id, description: `Aithroyz lab ${envId}: tool ports from the allowed CIDRs only` },
    opts,
  );
  for (const tool of preset.tools) allowTool(tool, group.id, allowedCidrs, opts);
  // Outbound stays open: the instance pulls Docker images and OS packages.
  new aws.vpc.SecurityGroupEgressRule(SHARED_RESOURCES.egress, { securityGroupId: group.id, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }, opts);

  const instance = new aws.ec2.Instance(
    SHARED_RESOURCES.instance,
    {
      ami: amiFor(preset.instanceSize, opts).id,
      instanceType: preset.instanceSize,
      vpcSecurityGroupIds: [group.id],
      associatePublicIpAddress: true,
      userData: renderUserData(preset.tools),
      userDataReplaceOnChange: true,
      metadataOptions: { httpTokens: 'required' },
      rootBlockDevice: { volumeSize: rootVolumeGb(preset.tools), volumeType: 'gp3', encrypted: true },
      tags: { Name: `aithroyz-${envId}` },
    },
    opts,
  );
  const host = pulumi.all([instance.publicDns, instance.publicIp]).apply(([dns, ip]) => dns || ip);
  return {
    endpoints: host.apply((name) => Object.fromEntries(preset.tools.map((tool) => [tool.id, toolUrl(tool, name)]))),
    instanceId: instance.id,
    securityGroupId: group.id,
  };
}

/** The key's pair as the provider's secret inputs; nothing without a key. */
export function providerCredentials(credentials: CloudCredentials | undefined): Pick<aws.ProviderArgs, 'accessKey' | 'secretKey'> {
  if (!credentials) return {};
  return { accessKey: pulumi.secret(credentials.accessKeyId), secretKey: pulumi.secret(credentials.secretAccessKey) };
}

function allowTool(tool: ToolDefinition, securityGroupId: pulumi.Output<string>, cidrs: readonly string[], opts: pulumi.CustomResourceOptions): void {
  cidrs.forEach((cidr, index) => {
    new aws.vpc.SecurityGroupIngressRule(
      toolRuleName(tool.id, index),
      {
        securityGroupId,
        description: tool.name,
        ipProtocol: 'tcp',
        fromPort: tool.port,
        toPort: tool.port,
        ...(cidr.includes(':') ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
      },
      opts,
    );
  });
}

/** The newest Amazon Linux 2023 image for the instance's architecture. */
function amiFor(instanceSize: string, opts: pulumi.InvokeOutputOptions): pulumi.Output<aws.ec2.GetAmiResult> {
  const architecture = architectureOf(instanceSize);
  return aws.ec2.getAmiOutput(
    {
      owners: ['amazon'],
      mostRecent: true,
      filters: [
        { name: 'name', values: [`al2023-ami-2023.*-${architecture}`] },
        { name: 'architecture', values: [architecture] },
      ],
    },
    opts,
  );
}

/** Two tools of one preset cannot publish the same port on one instance. */
function checkPorts(preset: Preset): void {
  const byPort = new Map<number, string>();
  for (const tool of preset.tools) {
    const other = byPort.get(tool.port);
    if (other) {
      throw new AppError('preset_port_clash', `Preset ${preset.id} runs ${other} and ${tool.id} on the same port ${tool.port}.`, {
        retry: false,
        hint: 'Give one of the tools another port in the presets catalog.',
      });
    }
    byPort.set(tool.port, tool.id);
  }
}
