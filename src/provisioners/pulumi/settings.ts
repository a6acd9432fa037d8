import { resolve } from 'node:path';
import type { Config } from '../../config.js';

export type PulumiConfig = Pick<
  Config,
  | 'DATA_DIR'
  | 'PULUMI_BACKEND_URL'
  | 'PULUMI_CONFIG_PASSPHRASE'
  | 'PULUMI_SECRETS_PROVIDER'
  | 'PULUMI_PROJECT'
  | 'PULUMI_HOME'
  | 'LAB_ALLOWED_CIDRS'
  | 'LAB_AWS_REGION'
>;

/** The Pulumi provisioner's settings, with defaults resolved. */
export interface PulumiSettings {
  projectName: string;
  /** PULUMI_BACKEND_URL, or a file backend under DATA_DIR. */
  backendUrl: string;
  passphrase: string | undefined;
  secretsProvider: string | undefined;
  pulumiHome: string | undefined;
  region: string;
  allowedCidrs: readonly string[];
}

export function pulumiSettingsOf(config: PulumiConfig): PulumiSettings {
  return {
    projectName: config.PULUMI_PROJECT,
    backendUrl: config.PULUMI_BACKEND_URL ?? defaultBackendUrl(config.DATA_DIR),
    passphrase: config.PULUMI_CONFIG_PASSPHRASE,
    secretsProvider: config.PULUMI_SECRETS_PROVIDER,
    pulumiHome: config.PULUMI_HOME,
    region: config.LAB_AWS_REGION,
    allowedCidrs: config.LAB_ALLOWED_CIDRS,
  };
}

/** `file://<absolute DATA_DIR>/pulumi`: Pulumi resolves a relative file URL against its own working folder. */
export function defaultBackendUrl(dataDir: string): string {
  return `file://${resolve(dataDir, 'pulumi')}`;
}
