import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withoutCredentials } from '../../config.js';
import type { PulumiSettings } from './settings.js';

/** The CLI the Automation API will run: on PATH (root undefined) or under `<root>/bin/pulumi`. */
export interface PulumiCli {
  root: string | undefined;
  version: string;
}

export interface StartupCheckOptions {
  /** The environment the CLI is looked up with (its PATH); the process's own when unset. */
  env?: NodeJS.ProcessEnv;
  /** Where `~/.pulumi` is when PULUMI_HOME is unset. */
  homeDir?: string;
}

/** PROVISIONER=pulumi cannot work as configured; `problems` has one line per thing to install or set. */
export class PulumiSetupError extends Error {
  constructor(readonly problems: string[]) {
    super(`PROVISIONER=pulumi cannot start:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PulumiSetupError';
  }
}

const DOCS = 'see docs/pulumi.md';
const BACKEND_SCHEMES = ['file:', 's3:', 'gs:', 'azblob:', 'https:', 'http:', 'postgres:'];
const KMS_PROVIDER = /^(awskms|azurekeyvault|gcpkms|hashivault):\/\/\S+$/;

/**
 * The start-up checks of PROVISIONER=pulumi: the CLI runs, the backend URL is one Pulumi knows (a file backend's
 * folder exists or is created), stack secrets can be encrypted, and the allowed CIDRs are CIDRs. Throws a
 * PulumiSetupError listing every problem; returns the CLI found.
 */
export function checkPulumiSetup(settings: PulumiSettings, options: StartupCheckOptions = {}): PulumiCli {
  const pulumiHome = settings.pulumiHome ?? join(options.homeDir ?? homedir(), '.pulumi');
  const cli = findCli(pulumiHome, options.env);
  const problems = [
    cli ? undefined : cliProblem(pulumiHome),
    backendProblem(settings.backendUrl),
    secretsProblem(settings),
    ...cidrProblems(settings.allowedCidrs),
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0 || !cli) throw new PulumiSetupError(problems);
  return cli;
}

function findCli(pulumiHome: string, env: NodeJS.ProcessEnv | undefined): PulumiCli | undefined {
  const onPath = cliVersion('pulumi', env);
  if (onPath) return { root: undefined, version: onPath };
  const inHome = cliVersion(join(pulumiHome, 'bin', 'pulumi'), env);
  return inHome ? { root: pulumiHome, version: inHome } : undefined;
}

function cliVersion(command: string, env: NodeJS.ProcessEnv | undefined): string | undefined {
  const result = spawnSync(command, ['version'], { encoding: 'utf8', timeout: 30_000, ...(env ? { env } : {}) });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim() || 'unknown';
}

function cliProblem(pulumiHome: string): string {
  return `pulumi CLI: not found on PATH nor in ${join(pulumiHome, 'bin')}; install it (curl -fsSL https://get.pulumi.com | sh) or set PULUMI_HOME to the folder whose bin/ holds it (${DOCS})`;
}

function backendProblem(backendUrl: string): string | undefined {
  const shown = withoutCredentials(backendUrl);
  const kinds = 'file:///absolute/folder, s3://bucket, gs://bucket, azblob://container, postgres://… or https://api.pulumi.com';
  let url: URL;
  try {
    url = new URL(backendUrl);
  } catch {
    return `PULUMI_BACKEND_URL "${shown}" is not a URL; set it to ${kinds}, or unset it for a file backend under DATA_DIR (${DOCS})`;
  }
  if (!BACKEND_SCHEMES.includes(url.protocol)) {
    return `PULUMI_BACKEND_URL "${shown}": Pulumi has no "${url.protocol.slice(0, -1)}" backend; use ${kinds} (${DOCS})`;
  }
  if (url.protocol === 'file:') return fileBackendProblem(backendUrl.slice('file://'.length), shown);
  if (url.host === '') return `PULUMI_BACKEND_URL "${shown}" names no bucket, container or host (${DOCS})`;
  return undefined;
}

function fileBackendProblem(path: string, shown: string): string | undefined {
  const folder = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
  if (folder === '') return `PULUMI_BACKEND_URL "${shown}" names no folder; use file:///absolute/folder (${DOCS})`;
  try {
    mkdirSync(folder, { recursive: true });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return `PULUMI_BACKEND_URL "${shown}": the state folder ${folder} cannot be created (${code}); create it, or point the URL at a writable folder`;
  }
}

function secretsProblem({ passphrase, secretsProvider }: PulumiSettings): string | undefined {
  if (secretsProvider !== undefined && secretsProvider !== 'passphrase' && !KMS_PROVIDER.test(secretsProvider)) {
    return `PULUMI_SECRETS_PROVIDER "${secretsProvider}" is not a secrets provider; use passphrase or a KMS URL such as awskms://alias/labs (${DOCS})`;
  }
  if (passphrase === undefined && (secretsProvider === undefined || secretsProvider === 'passphrase')) {
    return `PULUMI_CONFIG_PASSPHRASE: set it (or PULUMI_SECRETS_PROVIDER to a KMS URL such as awskms://alias/labs) so stack secrets can be encrypted (${DOCS})`;
  }
  return undefined;
}

function cidrProblems(cidrs: readonly string[]): string[] {
  if (cidrs.length === 0) return [`LAB_ALLOWED_CIDRS: set the comma-separated CIDRs that may reach the labs' tools, e.g. 203.0.113.0/24 (${DOCS})`];
  return cidrs.filter((cidr) => !isCidr(cidr)).map((cidr) => `LAB_ALLOWED_CIDRS: "${cidr}" is not a CIDR; write it like 203.0.113.0/24 or 2001:db8::/32`);
}

export function isCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  if (prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (isIPv4(address)) return bits <= 32;
  return isIPv6(address) && bits <= 128;
}
