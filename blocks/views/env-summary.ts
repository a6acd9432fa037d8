import { formatDuration } from '../../src/domain/durations.js';
import type { Preset } from '../../src/domain/presets.js';
import { formatUtc } from '../../src/domain/time.js';
import { code, timeUntil } from './format.js';
import type { EnvironmentModel } from '../models.js';

/** "`env-7k2p9q` “My lab” (SOC Platform)": how views name one environment. */
export function envLabel(env: Pick<EnvironmentModel, 'id' | 'name' | 'presetId'>, preset: Preset | undefined): string {
  const name = env.name ? ` “${env.name}”` : '';
  return `${code(env.id)}${name} (${preset?.name ?? env.presetId})`;
}

/** Where an environment is in its life, in words: time left when running, what it waits for otherwise. */
export function lifeSummary(env: EnvironmentModel, now: Date): string {
  switch (env.state) {
    case 'running':
      if (!env.expiresAt) return 'running';
      return env.expiresAt.getTime() <= now.getTime()
        ? 'expired, being destroyed'
        : `${timeUntil(env.expiresAt, now)} left (expires ${formatUtc(env.expiresAt)})`;
    case 'pending_approval':
      return `waiting for approval (TTL ${formatDuration(env.ttlSeconds)} once running)`;
    case 'approved':
    case 'deploying':
      return `deploying (TTL ${formatDuration(env.ttlSeconds)} once running)`;
    case 'destroying':
      return 'being destroyed';
    case 'destroy_failed':
      return 'destroy failed; admins have been alerted';
    default:
      return env.finishedAt ? `ended ${formatUtc(env.finishedAt)}` : 'ended';
  }
}
