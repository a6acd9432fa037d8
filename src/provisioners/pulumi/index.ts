import { withoutCredentials } from '../../config.js';
import type { Logger } from '../../log.js';
import { DEFAULT_BUSY_RETRY } from './busy.js';
import { PulumiProvisioner } from './provisioner.js';
import { pulumiSettingsOf, type PulumiConfig } from './settings.js';
import { checkPulumiSetup, type StartupCheckOptions } from './startup.js';

export { PulumiSetupError } from './startup.js';
export type { PulumiConfig } from './settings.js';

/**
 * The provisioner for PROVISIONER=pulumi, after the start-up checks (which throw a PulumiSetupError saying what to
 * install or set). The Automation API and the AWS program load on the first lab operation, not at start-up.
 */
export function createPulumiProvisioner(config: PulumiConfig, log: Logger, checks: StartupCheckOptions = {}): PulumiProvisioner {
  const settings = pulumiSettingsOf(config);
  const cli = checkPulumiSetup(settings, checks);
  const { projectName, region, allowedCidrs } = settings;
  const pulumiLog = log.child({ provisioner: 'pulumi' });
  pulumiLog.info(
    { cli: cli.version, backend: withoutCredentials(settings.backendUrl), project: projectName, region, allowedCidrs },
    'PROVISIONER=pulumi: labs are real AWS resources, billed to the account of the AWS credentials',
  );
  if (allowedCidrs.some((cidr) => /^(0\.0\.0\.0|::)\/0$/.test(cidr))) {
    pulumiLog.warn({ allowedCidrs }, 'LAB_ALLOWED_CIDRS lets the whole internet reach the labs');
  }
  return new PulumiProvisioner({
    engine: async () => {
      const { LocalWorkspaceEngine } = await import('./local-engine.js');
      const { backendUrl, passphrase, secretsProvider, pulumiHome } = settings;
      return new LocalWorkspaceEngine({ projectName, backendUrl, passphrase, secretsProvider, pulumiHome, cliRoot: cli.root });
    },
    lab: { projectName, region, allowedCidrs },
    busyRetry: DEFAULT_BUSY_RETRY,
    log: pulumiLog,
  });
}
