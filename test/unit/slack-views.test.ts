import { describe, expect, it } from 'vitest';
import { renderSlackMessage, renderSlackModal, UNMASKED_NOTICE } from '../../blocks/slack.js';
import type { DialogView, View } from '../../blocks/view.js';
import { approvalCardView, rejectDialogView } from '../../blocks/views/approval-card.js';
import { destroyConfirmView } from '../../blocks/views/destroy-confirm.js';
import { envListView } from '../../blocks/views/env-list.js';
import { envStatusView } from '../../blocks/views/env-status.js';
import { errorView } from '../../blocks/views/error.js';
import {
  decisionDmView,
  destroyFailedView,
  environmentDestroyedView,
  environmentFailedView,
  environmentReadyView,
  progressView,
  reminderView,
} from '../../blocks/views/lifecycle-notices.js';
import { presetsView } from '../../blocks/views/presets.js';
import { requestAckView } from '../../blocks/views/request-ack.js';
import { envHelp } from '../../commands/env-help.js';
import type { DecisionRow } from '../../src/db/schema/decisions.js';
import { checkMessageBlocks, checkModal } from '../fakes/slack-checks.js';
import { auditRow, catalog, environment, NOW, preset } from '../support/view-fixtures.js';

/** Every message the bot sends on Slack, rendered as Block Kit: snapshots, and Slack's limits checked on each. */
const soc = preset('soc-platform');
const pending = environment({ state: 'pending_approval', runningAt: null, expiresAt: null, maxExpiresAt: null, endpoints: {} });
const decision = (outcome: DecisionRow['outcome'], reason: string | null = null): DecisionRow => ({
  envId: 'env-7k2p9q',
  outcome,
  deciderId: outcome === 'expired' ? null : 'U0ANA',
  deciderName: outcome === 'expired' ? null : 'ana',
  reason,
  decidedAt: new Date('2026-11-26T08:30:00.000Z'),
});

const views: [string, () => View][] = [
  ['approval card, waiting', () => approvalCardView({ env: pending, preset: soc, activeCount: 2 })],
  ['approval card, approved', () => approvalCardView({ env: pending, preset: soc, activeCount: 2, decision: decision('approved') })],
  ['approval card, rejected', () => approvalCardView({ env: pending, preset: soc, activeCount: 2, decision: decision('rejected', 'too expensive') })],
  ['deploy progress in the thread', () => progressView('env-7k2p9q', { toolName: 'Elastic Stack', status: 'ready' })],
  ['lab ready DM', () => environmentReadyView(environment(), soc)],
  ['lab failed DM', () => environmentFailedView(environment({ state: 'deploy_failed', failureReason: 'wazuh: image pull failed' }), soc)],
  ['reminder DM', () => reminderView(environment(), soc, 3600)],
  ['lab destroyed DM', () => environmentDestroyedView(environment({ state: 'destroyed', finishedAt: NOW }), soc)],
  ['destroy failed DM', () => destroyFailedView(environment({ state: 'destroy_failed' }), soc)],
  ['decision DM', () => decisionDmView(environment(), 'Approved by <@U0ANA|ana> at 08:30 UTC')],
  ['help', () => envHelp().view],
  ['presets', () => presetsView(catalog.presets)],
  ['request acknowledged', () => requestAckView(pending, soc)],
  ['env list', () => envListView({ all: false, now: NOW, environments: [{ env: environment(), preset: soc }] })],
  ['env status', () => envStatusView({ env: environment(), preset: soc, history: [auditRow(1, 'plan.created', '2026-11-26T08:00:00Z')], now: NOW })],
  ['destroy confirmation', () => destroyConfirmView(environment(), soc, NOW)],
  ['error', () => errorView({ message: '"abc" is not a duration.', hint: 'Usage: `/env extend <env-id> <duration>`', requestId: 'req-1', tone: 'warning' })],
];

describe('Slack rendering of every message view', () => {
  it.each(views)('%s', (_name, build) => {
    const rendered = renderSlackMessage(build());
    expect(checkMessageBlocks(rendered.blocks)).toEqual([]);
    expect(rendered.text.trim()).not.toBe('');
    expect(rendered).toMatchSnapshot();
  });

  it('the reject dialog renders as a valid modal', () => {
    const modal = renderSlackModal(rejectDialogView('env-7k2p9q', { min: 3, max: 500 }), { value: 'env-7k2p9q', channelId: 'C0APPROVALS', responseUrl: undefined });
    expect(checkModal(modal)).toEqual([]);
    expect(modal).toMatchSnapshot();
  });

  it('a select and a secret field render as a valid modal; the secret says Slack does not mask it', () => {
    const dialog: DialogView = {
      callbackId: 'rejectReason',
      title: 'Add a cloud key',
      submitLabel: 'Add',
      value: 'key-1',
      fields: [
        { kind: 'select', name: 'provider', label: 'Provider', options: [{ label: 'AWS', value: 'aws' }, { label: 'x'.repeat(100), value: 'y'.repeat(200) }] },
        { kind: 'secret', name: 'secret', label: 'Secret access key', maxLength: 400 },
      ],
    };
    const modal = renderSlackModal(dialog, { value: 'key-1', channelId: 'C0GENERAL', responseUrl: undefined });
    expect(checkModal(modal)).toEqual([]);
    const [select, secret] = modal.blocks as unknown as { element: Record<string, unknown>; hint?: { text: string } }[];
    expect(select!.element).toMatchObject({ type: 'static_select', action_id: 'provider', options: [{ text: { type: 'plain_text', text: 'AWS' }, value: 'aws' }, {}] });
    expect(secret!.element).toMatchObject({ type: 'plain_text_input', action_id: 'secret', multiline: false, max_length: 400 });
    expect(secret!.hint?.text).toBe(UNMASKED_NOTICE);
    expect(select!.hint).toBeUndefined();
  });

  it('a lab name a user typed cannot ping the channel or break the limits on the approval card', () => {
    const hostile = environment({ ...pending, name: `<!channel> ${'<@U0BOSS>'.repeat(30)} ${'x'.repeat(5000)}` });
    const rendered = renderSlackMessage(approvalCardView({ env: hostile, preset: soc, activeCount: 1 }));
    expect(checkMessageBlocks(rendered.blocks)).toEqual([]);
    // Slack parses mentions in mrkdwn and in the message text (plain_text shows them as typed).
    const parsed = [rendered.text, ...JSON.stringify(rendered.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g) ?? []];
    expect(parsed.length).toBeGreaterThan(1);
    for (const text of parsed) expect(text).not.toMatch(/<!channel>|<@U0BOSS>/);
  });
});
