import type { ToolDefinition } from '../../domain/presets.js';

/**
 * Cloud-init user data for a lab's instance (Amazon Linux 2023): install Docker, then run each tool's pinned image on
 * its port with its memory limit. One tool that fails to start does not stop the others; its URL then does not answer.
 */
export function renderUserData(tools: readonly ToolDefinition[]): string {
  return [
    '#!/bin/bash',
    'set -uo pipefail',
    'dnf install -y docker',
    'systemctl enable --now docker',
    // Elasticsearch-based tools refuse to start below this map count.
    'sysctl -w vm.max_map_count=262144',
    ...tools.map(dockerRun),
    '',
  ].join('\n');
}

function dockerRun(tool: ToolDefinition): string {
  const port = String(tool.port);
  const args = ['docker', 'run', '-d', '--name', tool.id, '--restart', 'unless-stopped', '-p', `${port}:${port}`, '--memory', `${tool.memoryMb}m`, tool.image];
  return `${args.map(shellQuote).join(' ')} || echo ${shellQuote(`aithroyz: ${tool.id} did not start`)} >&2`;
}

/** Single-quoted for sh; the catalog already limits ids and images to safe characters, this keeps it so. */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Tools on a port ending in 443 serve TLS (443, 4443, 8443, 9443); the others plain HTTP. */
export function toolUrl(tool: Pick<ToolDefinition, 'port'>, host: string): string {
  const scheme = String(tool.port).endsWith('443') ? 'https' : 'http';
  return `${scheme}://${host}:${tool.port}`;
}

/** Graviton families carry a `g` after the generation digit (t4g, m7g, c6gn); their AMI is arm64. */
export function architectureOf(instanceSize: string): 'arm64' | 'x86_64' {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceSize) ? 'arm64' : 'x86_64';
}

/** Room for the OS and Docker, plus each tool's image and data. */
export function rootVolumeGb(tools: readonly ToolDefinition[]): number {
  return 20 + 10 * tools.length;
}
