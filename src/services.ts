import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { AppError } from './errors.js';
import type { Db } from './db/client.js';
import type { PresetCatalog } from './domain/presets.js';
import type { Platform } from './domain/users.js';
import type { Notifier } from './chat/types.js';
import type { Logger } from './log.js';
import type { Provisioner } from './provisioners/port.js';
import type { JobQueue } from './queue/jobs.js';

/** Everything workflows, commands and job processors need, passed explicitly (no module-level singletons). */
export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  catalog: PresetCatalog;
  jobs: JobQueue;
  notifiers: Notifiers;
  provisioner: Provisioner;
  /**
   * Set by the entry point: told of a failure after which this process must stop (see `AppError.stopsProcess`), which
   * it then does gracefully. The doors call it when such a failure reaches them.
   */
  processMustStop?: (error: AppError) => void;
}

/** The outbound adapters that are switched on, by platform. */
export class Notifiers {
  private readonly byPlatform = new Map<Platform, Notifier>();

  constructor(notifiers: Notifier[] = []) {
    for (const notifier of notifiers) this.byPlatform.set(notifier.platform, notifier);
  }

  register(notifier: Notifier): void {
    this.byPlatform.set(notifier.platform, notifier);
  }

  /** The notifier for a platform; throws (retryable) when that platform is not configured in this process. */
  get(platform: Platform): Notifier {
    const notifier = this.byPlatform.get(platform);
    if (!notifier) throw new Error(`${platform} is not configured in this process`);
    return notifier;
  }

  find(platform: Platform): Notifier | undefined {
    return this.byPlatform.get(platform);
  }

  all(): Notifier[] {
    return [...this.byPlatform.values()];
  }
}
