import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import { LocalProvisioner } from './local.js';
import type { Provisioner } from './port.js';

type ProvisionerConfig = Pick<Config, 'PROVISIONER' | 'LOCAL_PROVISIONER_STEP_MS' | 'LOCAL_PROVISIONER_FAIL'>;

/** The provisioner PROVISIONER names. */
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
      throw new Error('PROVISIONER=pulumi: the Pulumi provisioner is not available in this build yet; PROVISIONER=local is the supported value.');
  }
}
