import { formatDuration } from '../../src/domain/durations.js';
import type { Preset } from '../../src/domain/presets.js';
import { formatUtc } from '../../src/domain/time.js';
import type { View } from '../view.js';
import { envLabel } from './env-summary.js';
import { timeUntil } from './format.js';
import type { EnvironmentModel } from '../models.js';

/** After an extension: the new expiry and how far it may still go. */
export function extendedView(env: EnvironmentModel, preset: Preset | undefined, bySeconds: number, now: Date): View {
  const expiry = env.expiresAt ? `now expires ${formatUtc(env.expiresAt)} (in ${timeUntil(env.expiresAt, now)})` : 'has a new expiry';
  const summary = `Extended ${envLabel(env, preset)} by ${formatDuration(bySeconds)}: it ${expiry}.`;
  const limit = env.maxExpiresAt ? `It can be extended up to ${formatUtc(env.maxExpiresAt)}.` : undefined;
  return {
    text: limit ? `${summary} ${limit}` : summary,
    tone: 'good',
    blocks: [{ kind: 'text', text: summary }, ...(limit ? [{ kind: 'context' as const, text: limit }] : [])],
  };
}
