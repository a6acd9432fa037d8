import { formatDuration } from '../../src/domain/durations.js';
import { costEstimate, type Preset } from '../../src/domain/presets.js';
import type { View } from '../view.js';
import { envLabel } from './env-summary.js';
import { lines } from './format.js';
import type { EnvironmentModel } from '../models.js';

/** The requester's answer to `/env request`: what was asked for and what happens next. */
export function requestAckView(env: EnvironmentModel, preset: Preset): View {
  const waiting = env.state === 'pending_approval';
  const summary = `Requested ${envLabel(env, preset)} for ${formatDuration(env.ttlSeconds)}, ${costEstimate(preset, env.ttlSeconds)}.`;
  const next = waiting
    ? 'An approver has been asked in the approvals channel; you will get a DM when it is decided.'
    : 'Approved by policy (this preset needs no approval): deploying now; you will get a DM when it is ready.';
  return {
    text: lines(summary, next),
    tone: waiting ? 'neutral' : 'good',
    blocks: [
      { kind: 'text', text: summary },
      {
        kind: 'fields',
        fields: [
          { label: 'Tools', value: preset.tools.map((tool) => tool.name).join(', ') },
          { label: 'TTL', value: `${formatDuration(env.ttlSeconds)} (max ${formatDuration(preset.maxTtlSeconds)})` },
        ],
      },
      { kind: 'context', text: next },
    ],
  };
}
