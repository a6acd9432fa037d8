import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import type { Preset } from '../../src/domain/presets.js';
import { mention, type View } from '../view.js';
import { envLabel } from './env-summary.js';

/** The decider's answer after Approve or a submitted rejection; the approval card itself is edited separately. */
export function decisionAckView(env: EnvironmentRow, preset: Preset | undefined, decision: 'approve' | 'reject'): View {
  const owner = mention({ id: env.ownerId, name: env.ownerName });
  const text =
    decision === 'approve'
      ? `You approved ${envLabel(env, preset)} for ${owner}. Deployment starts now; progress goes to the card’s thread.`
      : `You rejected ${envLabel(env, preset)} for ${owner}. They have been told why.`;
  return { text, tone: decision === 'approve' ? 'good' : 'neutral', blocks: [{ kind: 'text', text }] };
}
