import { formatDuration } from '../../src/domain/durations.js';
import { costEstimate, type Preset } from '../../src/domain/presets.js';
import { formatUtcTime } from '../../src/domain/time.js';
import type { DecisionModel, EnvironmentModel } from '../models.js';
import { mention, type DialogView, type View, type ViewBlock } from '../view.js';
import { envLabel } from './env-summary.js';

/** The approval card approvers decide on, the reject dialog it opens, and the decider's answer. */

export interface ApprovalCardInput {
  env: EnvironmentModel;
  preset: Preset;
  /** The requester's active environments, this one included. */
  activeCount: number;
  /** Set once decided: the card loses its buttons and says who decided. */
  decision?: DecisionModel;
}

/** The plan as approvers see it in the approvals channel; edited in place after the decision. */
export function approvalCardView({ env, preset, activeCount, decision }: ApprovalCardInput): View {
  const requester = mention({ id: env.ownerId, name: env.ownerName });
  const title = `Lab request ${env.id}: ${preset.name}${env.name ? ` (${env.name})` : ''}`;
  const blocks: ViewBlock[] = [
    { kind: 'header', text: title },
    {
      kind: 'fields',
      fields: [
        { label: 'Requester', value: requester },
        { label: 'Preset', value: `${preset.name} (\`${preset.id}\`)` },
        { label: 'TTL', value: formatDuration(env.ttlSeconds) },
        { label: 'Cost estimate', value: costEstimate(preset, env.ttlSeconds) },
        { label: 'Active labs of requester', value: String(activeCount) },
        { label: 'Instance', value: preset.instanceSize },
      ],
    },
    { kind: 'text', text: `*Tools:* ${preset.tools.map((tool) => tool.name).join(', ')}` },
  ];
  const outcome = decision ? decisionLine(decision) : undefined;
  if (outcome) {
    blocks.push({ kind: 'context', text: outcome });
  } else {
    blocks.push({
      kind: 'actions',
      buttons: [
        { actionId: 'approve', label: 'Approve', style: 'primary', value: env.id },
        { actionId: 'reject', label: 'Reject', style: 'danger', value: env.id },
      ],
    });
  }
  const tone = !decision ? 'neutral' : decision.outcome === 'approved' ? 'good' : 'danger';
  return { text: `${title}, requested by ${requester}. ${outcome ?? 'Waiting for approval.'}`, blocks, tone };
}

/** "Approved by @x at 14:02 UTC", "Rejected by @x at 14:02 UTC: reason", "Expired without a decision at …". */
export function decisionLine(decision: DecisionModel): string {
  const at = formatUtcTime(decision.decidedAt);
  const who = decision.deciderId ? mention({ id: decision.deciderId, name: decision.deciderName ?? decision.deciderId }) : undefined;
  switch (decision.outcome) {
    case 'approved':
      return who ? `Approved by ${who} at ${at}` : `Approved by policy at ${at} (${decision.reason ?? 'no approval needed'})`;
    case 'rejected':
      return `Rejected by ${who ?? 'policy'} at ${at}: ${decision.reason ?? 'no reason given'}`;
    case 'expired':
      return `Expired without a decision at ${at}`;
  }
}

export const REJECT_REASON_FIELD = 'reason';

/** The dialog a Reject click opens: the reason goes to the requester and the audit log. */
export function rejectDialogView(envId: string, reasonLength: { min: number; max: number }): DialogView {
  return {
    callbackId: 'rejectReason',
    title: 'Reject the request',
    submitLabel: 'Reject',
    value: envId,
    fields: [
      {
        kind: 'text',
        name: REJECT_REASON_FIELD,
        label: `Why is ${envId} rejected?`,
        placeholder: 'The requester sees this reason.',
        multiline: true,
        minLength: reasonLength.min,
        maxLength: reasonLength.max,
      },
    ],
  };
}

/** The decider's answer after Approve or a submitted rejection; the approval card itself is edited separately. */
export function decisionAckView(env: EnvironmentModel, preset: Preset | undefined, decision: 'approve' | 'reject'): View {
  const owner = mention({ id: env.ownerId, name: env.ownerName });
  const text =
    decision === 'approve'
      ? `You approved ${envLabel(env, preset)} for ${owner}. Deployment starts now; progress goes to the card’s thread.`
      : `You rejected ${envLabel(env, preset)} for ${owner}. They have been told why.`;
  return { text, tone: decision === 'approve' ? 'good' : 'neutral', blocks: [{ kind: 'text', text }] };
}
