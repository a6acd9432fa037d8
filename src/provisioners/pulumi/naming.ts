/**
 * Resource names of a lab's program. A tool's own resources are named after its id, so engine events (which carry
 * URNs) can be turned into per-tool progress; shared resources (network, instance) have fixed names.
 */

export const SHARED_RESOURCES = {
  provider: 'aws',
  securityGroup: 'lab',
  egress: 'lab-egress',
  instance: 'lab',
} as const;

const TOOL_RULE = /^(?<toolId>[a-z0-9-]+)-ingress-\d+$/;

/** The name of a tool's ingress rule for its `index`-th allowed CIDR. */
export function toolRuleName(toolId: string, index: number): string {
  return `${toolId}-ingress-${index}`;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → name. */
export function resourceNameOf(urn: string): string {
  return urn.split('::').slice(3).join('::');
}

/** `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → the resource's own type. */
export function resourceTypeOf(urn: string): string {
  const qualified = urn.split('::')[2] ?? '';
  return qualified.split('$').at(-1) ?? qualified;
}

/** The tool a resource belongs to, or undefined for shared resources. */
export function toolIdOfUrn(urn: string): string | undefined {
  return TOOL_RULE.exec(resourceNameOf(urn))?.groups?.toolId;
}
