import { describe, expect, it } from 'vitest';
import { MATTERMOST_LIMITS, SLACK_LIMITS } from '../../blocks/limits.js';
import type { DialogView, View } from '../../blocks/view.js';
import { decisionAckView, rejectDialogView } from '../../blocks/views/approval-card.js';
import { destroyConfirmView, destroyingView, destroyKeptView } from '../../blocks/views/destroy-confirm.js';
import { envListView, MAX_LISTED_ENVIRONMENTS } from '../../blocks/views/env-list.js';
import { envStatusView, MAX_HISTORY_SHOWN } from '../../blocks/views/env-status.js';
import { errorView } from '../../blocks/views/error.js';
import { exportStartedView } from '../../blocks/views/audit.js';
import { extendedView } from '../../blocks/views/extended.js';
import { timeUntil } from '../../blocks/views/format.js';
import { presetsView } from '../../blocks/views/presets.js';
import { requestAckView } from '../../blocks/views/request-ack.js';
import { roleChangedView } from '../../blocks/views/role-changed.js';
import { answeredView, invitationCardView, invitedView, inviterNoticeView, MAX_LISTED_PEOPLE, removedView, teamListView } from '../../blocks/views/team.js';
import type { ClosedInvitationModel, TeamMemberModel } from '../../blocks/models.js';
import { envHelp } from '../../commands/env-help.js';
import { teamHelp } from '../../commands/team.js';
import type { Preset } from '../../src/domain/presets.js';
import { ENV_STATES } from '../../src/domain/lifecycle.js';
import { auditRow, catalog, environment, NOW, preset } from '../support/view-fixtures.js';

/** Structural limits every view must meet whatever the renderer: Slack's are the tightest. */
function expectWithinLimits(view: View): void {
  expect(view.text.trim().length).toBeGreaterThan(0);
  expect(view.text.length).toBeLessThanOrEqual(MATTERMOST_LIMITS.postMessageLength);
  expect(view.blocks.length).toBeGreaterThan(0);
  expect(view.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  for (const block of view.blocks) {
    if (block.kind === 'fields') expect(block.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
    if (block.kind === 'header') expect(block.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerTextLength);
    if (block.kind === 'actions') expect(block.buttons.length).toBeLessThanOrEqual(SLACK_LIMITS.elementsPerActions);
    if (block.kind === 'text' || block.kind === 'context') expect(block.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionTextLength);
    if (block.kind === 'list') expect(block.items.join('\n').length).toBeLessThanOrEqual(SLACK_LIMITS.sectionTextLength);
  }
}

const history = [
  auditRow(1, 'plan.created', '2026-11-26T08:00:00Z'),
  auditRow(2, 'command.invoked', '2026-11-26T08:00:00Z'),
  auditRow(3, 'plan.approved', '2026-11-26T08:30:00Z', { actorId: 'U0BOB', actorName: 'bob' }),
  auditRow(4, 'deployment.started', '2026-11-26T08:30:01Z', { actorType: 'system', actorId: 'worker', actorName: '' }),
  auditRow(5, 'deployment.completed', '2026-11-26T09:00:00Z', { actorType: 'system', actorId: 'worker', actorName: 'worker' }),
  auditRow(6, 'ttl.extended', '2026-11-26T10:00:00Z', { outcome: 'ok' }),
];

const invitation: ClosedInvitationModel = {
  id: 'inv-abcdefghij',
  inviteeId: 'U0DAVE',
  inviteeName: 'dave',
  role: 'approver',
  invitedBy: { id: 'U0CAROL', name: 'carol' },
  expiresAt: new Date('2026-12-03T12:00:00Z'),
  state: 'pending',
  answeredAt: null,
};
const answeredAt = new Date('2026-11-27T09:00:00Z');
const teamMember = (id: string, overrides: Partial<TeamMemberModel> = {}): TeamMemberModel => ({
  id,
  name: id.toLowerCase(),
  role: 'member',
  addedAt: new Date('2026-11-20T08:00:00Z'),
  addedBy: { id: 'U0CAROL', name: 'carol' },
  removedAt: null,
  removedBy: null,
  ...overrides,
});

const views: [string, () => View][] = [
  ['help', () => envHelp().view],
  ['team help', () => teamHelp().view],
  ['team list', () => teamListView({
    access: 'open',
    members: [teamMember('U0CAROL', { role: 'admin', addedBy: null }), teamMember('U0DAVE', { role: 'approver' })],
    invitations: [invitation],
    removed: [teamMember('U0ALICE', { removedAt: answeredAt, removedBy: { id: 'U0CAROL', name: 'carol' } })],
  })],
  ['team list, invite mode, empty', () => teamListView({ access: 'invite', members: [], invitations: [], removed: [] })],
  ['invitation card, pending', () => invitationCardView(invitation)],
  ['invitation card, accepted', () => invitationCardView({ ...invitation, state: 'accepted', answeredAt })],
  ['invitation card, declined', () => invitationCardView({ ...invitation, state: 'declined', answeredAt })],
  ['invitation card, expired', () => invitationCardView({ ...invitation, state: 'expired', answeredAt: invitation.expiresAt })],
  ['invitation card, replaced', () => invitationCardView({ ...invitation, state: 'replaced', answeredAt })],
  ['invitation card, withdrawn', () => invitationCardView({ ...invitation, state: 'withdrawn', answeredAt })],
  ['inviter told: accepted', () => inviterNoticeView({ ...invitation, state: 'accepted', answeredAt })],
  ['inviter told: expired', () => inviterNoticeView({ ...invitation, state: 'expired', answeredAt: invitation.expiresAt })],
  ['invited', () => invitedView(invitation, true)],
  ['answered: accepted', () => answeredView({ ...invitation, state: 'accepted', answeredAt })],
  ['removed, with labs', () => removedView({ id: 'U0ALICE', name: 'alice' }, 2)],
  ['removed, without labs', () => removedView({ id: 'U0ALICE', name: 'alice' }, 0)],
  ['presets', () => presetsView(catalog.presets)],
  ['request acknowledged, waiting for approval', () => requestAckView(environment({ state: 'pending_approval', runningAt: null, expiresAt: null, maxExpiresAt: null, endpoints: {} }), preset('soc-platform'))],
  ['request acknowledged, approved by policy', () => requestAckView(environment({ presetId: 'quick-sandbox', state: 'approved', ttlSeconds: 7200, name: 'Scratch', runningAt: null, expiresAt: null, maxExpiresAt: null, endpoints: {} }), preset('quick-sandbox'))],
  ['env list, empty', () => envListView({ environments: [], all: false, now: NOW })],
  ['env list, everyone, empty', () => envListView({ environments: [], all: true, now: NOW })],
  ['env list, mixed states', () => envListView({
    all: false,
    now: NOW,
    environments: [
      { env: environment({ name: 'My lab' }), preset: preset('soc-platform') },
      { env: environment({ id: 'env-aaaaaa', state: 'pending_approval', runningAt: null, expiresAt: null, maxExpiresAt: null }), preset: preset('soc-platform') },
      { env: environment({ id: 'env-bbbbbb', state: 'destroyed', finishedAt: new Date('2026-11-25T18:00:00Z') }), preset: preset('soc-platform') },
      { env: environment({ id: 'env-cccccc', presetId: 'retired-preset' }), preset: undefined },
    ],
  })],
  ['env list, everyone', () => envListView({ all: true, now: NOW, environments: [{ env: environment({ ownerId: 'U0BOB', ownerName: 'bob' }), preset: preset('soc-platform') }] })],
  ['env status, running', () => envStatusView({ env: environment({ name: 'My lab' }), preset: preset('soc-platform'), history, now: NOW })],
  ['env status, deploy failed', () => envStatusView({ env: environment({ state: 'deploy_failed', endpoints: {}, expiresAt: null, maxExpiresAt: null, runningAt: null, failureReason: 'wazuh: image pull failed', finishedAt: new Date('2026-11-26T09:10:00Z') }), preset: preset('soc-platform'), history: history.slice(0, 4), now: NOW })],
  ['destroy confirmation', () => destroyConfirmView(environment(), preset('soc-platform'), NOW)],
  ['destroying', () => destroyingView(environment({ state: 'destroying' }), preset('soc-platform'))],
  ['destroy kept', () => destroyKeptView('env-7k2p9q')],
  ['approved', () => decisionAckView(environment({ state: 'approved' }), preset('soc-platform'), 'approve')],
  ['rejected', () => decisionAckView(environment({ state: 'rejected' }), preset('soc-platform'), 'reject')],
  ['extended', () => extendedView(environment({ expiresAt: new Date('2026-11-26T21:00:00Z') }), preset('soc-platform'), 4 * 3600, NOW)],
  ['role changed', () => roleChangedView({ target: { id: 'U0BOB', name: 'bob' }, previous: 'member', role: 'approver' })],
  ['role unchanged', () => roleChangedView({ target: { id: 'U0BOB' }, previous: 'admin', role: 'admin' })],
  ['export started', () => exportStartedView('2026-11-19 12:00 UTC to 2026-11-26 12:00 UTC · all types')],
  ['error, refusal', () => errorView({ message: '"abc" is not a duration.', hint: 'Usage: `/env extend <env-id> <duration>`', requestId: 'req-1', tone: 'warning' })],
  ['error, failure without reference line', () => errorView({ message: 'Something went wrong (request id req-2).', tone: 'danger' })],
];

describe('command views', () => {
  it.each(views)('%s matches its snapshot and stays within the limits', (_name, build) => {
    const view = build();
    expectWithinLimits(view);
    expect(view).toMatchSnapshot();
  });

  it('the reject dialog asks for a reason within the given bounds', () => {
    const dialog: DialogView = rejectDialogView('env-7k2p9q', { min: 3, max: 500 });
    expect(dialog).toMatchSnapshot();
    expect(dialog.title.length).toBeLessThanOrEqual(SLACK_LIMITS.modalTitleLength);
    expect(dialog.fields[0]).toMatchObject({ name: 'reason', minLength: 3, maxLength: 500 });
  });

  it('the status of a running lab offers Extend and Destroy with the env id as value, and no other state does', () => {
    for (const state of ENV_STATES) {
      const view = envStatusView({ env: environment({ state }), preset: preset('soc-platform'), history: [], now: NOW });
      const buttons = view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
      if (state === 'running') {
        expect(buttons.map((button) => [button.actionId, button.value])).toEqual([
          ['extend1h', 'env-7k2p9q'], ['extend4h', 'env-7k2p9q'], ['destroy', 'env-7k2p9q'],
        ]);
      } else {
        expect(buttons).toEqual([]);
      }
      expectWithinLimits(view);
    }
  });

  it('the status leaves chat entries out of the history and keeps only the latest entries', () => {
    const many = Array.from({ length: 30 }, (_, index) => auditRow(index + 1, 'ttl.extended', `2026-11-26T10:${String(index).padStart(2, '0')}:00Z`));
    const view = envStatusView({ env: environment(), preset: preset('soc-platform'), history: [...many, auditRow(99, 'action.clicked', '2026-11-26T11:00:00Z')], now: NOW });
    const list = view.blocks.filter((block) => block.kind === 'list').at(-1);
    expect(list?.kind === 'list' ? list.items : []).toHaveLength(MAX_HISTORY_SHOWN);
    expect(view.text).toContain('10:29 UTC');
    expect(view.text).not.toContain('action.clicked');
  });

  it('the confirmation carries Destroy now and Cancel for this environment only', () => {
    const view = destroyConfirmView(environment({ id: 'env-zzzzzz' }), preset('soc-platform'), NOW);
    const buttons = view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
    expect(buttons).toEqual([
      { actionId: 'destroyConfirm', label: 'Destroy now', style: 'danger', value: 'env-zzzzzz' },
      { actionId: 'destroyCancel', label: 'Cancel', value: 'env-zzzzzz' },
    ]);
  });

  it('a long list is cut and says how many were left out', () => {
    const environments = Array.from({ length: 45 }, (_, index) => ({
      env: environment({ id: `env-${String(index).padStart(6, 'a')}`, name: 'A lab with a fairly long name for its kind' }),
      preset: preset('threat-hunting'),
    }));
    const view = envListView({ environments, all: true, now: NOW });
    expectWithinLimits(view);
    const list = view.blocks.find((block) => block.kind === 'list');
    const shown = list?.kind === 'list' ? list.items.length : 0;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThanOrEqual(MAX_LISTED_ENVIRONMENTS);
    expect(view.text).toContain(`${45 - shown} more not shown`);
  });

  it('a large team stays within the limits and says how many were left out', () => {
    const many = Array.from({ length: 150 }, (_, index) => teamMember(`U0PERSON${index}`, { name: `a person with a long display name ${index}` }));
    const view = teamListView({ access: 'open', members: many, invitations: [], removed: many.slice(0, 40) });
    expectWithinLimits(view);
    expect(view.text).toContain(`Members (150)`);
    expect(view.text).toContain(`… and ${150 - MAX_LISTED_PEOPLE} more not shown`);
  });

  it('an invitation card has Accept and Decline while pending, and no button once it ended', () => {
    const buttons = (view: View) => view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
    expect(buttons(invitationCardView(invitation))).toEqual([
      { actionId: 'invitationAccept', label: 'Accept', style: 'primary', value: 'inv-abcdefghij' },
      { actionId: 'invitationDecline', label: 'Decline', value: 'inv-abcdefghij' },
    ]);
    for (const state of ['accepted', 'declined', 'expired', 'replaced', 'withdrawn'] as const) {
      expect(buttons(invitationCardView({ ...invitation, state, answeredAt }))).toEqual([]);
    }
  });

  it('a large catalog stays within the block limit and says how many presets were left out', () => {
    const base = preset('soc-platform');
    const presets: Preset[] = Array.from({ length: 40 }, (_, index) => ({ ...base, id: `preset-${index}`, name: `Preset ${index}` }));
    const view = presetsView(presets);
    expectWithinLimits(view);
    expect(view.text).toMatch(/\d+ more not shown/);
  });

  it('help lists every sub-command and the audit export', () => {
    const { text } = envHelp().view;
    for (const word of ['help', 'presets', 'request', 'list', 'status', 'extend', 'destroy', 'role', '/audit export']) {
      expect(text).toContain(word);
    }
    expect(text).toContain('/env role <@user>');
  });

  it('time left is written in words, to the minute', () => {
    expect(timeUntil(new Date('2026-11-26T14:59:30Z'), NOW)).toBe('2 hours 59 minutes');
    expect(timeUntil(new Date('2026-11-26T12:00:30Z'), NOW)).toBe('less than a minute');
    expect(timeUntil(new Date('2027-01-05T12:00:00Z'), NOW)).toBe('1 month 10 days');
  });

  it('views are the same in any server time zone', () => {
    const before = process.env.TZ;
    const render = () => JSON.stringify(envStatusView({ env: environment(), preset: preset('soc-platform'), history, now: NOW }));
    process.env.TZ = 'UTC';
    const utc = render();
    process.env.TZ = 'Pacific/Kiritimati';
    const far = render();
    process.env.TZ = before;
    expect(far).toBe(utc);
  });
});
