import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import { LocalProvisioner } from './local.js';
import type { Provisioner } from './port.js';
import { createPulumiProvisioner, type PulumiConfig } from './pulumi/index.js';

type ProvisionerConfig = Pick<Config, 'PROVISIONER' | 'LOCAL_PROVISIONER_STEP_MS' | 'LOCAL_PROVISIONER_FAIL'> & PulumiConfig;

/** The provisioner PROVISIONER names. With `pulumi`, the start-up checks run first and stop start-up when they fail. */
export function createProvisioner(config: ProvisionerConfig, db: Db, log: Logger, clock: Clock = systemClock): Provisioner {
  switch (config.PROVISIONER) {
    case 'local':
      return new LocalProvisioner(db, {
        stepMs: config.LOCAL_PROVISIONER_STEP_MS,
        failTools: config.LOCAL_PROVISIONER_FAIL,
        clock,
        log: log.child({ provisioner: 'local' }),
      });
    case 'pulumi':
      return createPulumiProvisioner(config, log);
  }
}
