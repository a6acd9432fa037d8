import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../blocks/view.js';
import { translateAction, translateCommand, translateViewSubmission } from '../../src/chat/slack/translate.js';
import { blockActionsPayload, slashCommandBody, viewSubmissionPayload } from '../fakes/slack-signing.js';

const meta = { requestId: 'req-1', receivedAt: new Date('2026-11-26T12:00:00.000Z') };
const alice = { id: 'U0ALICE', name: 'alice' };

function commandFields(overrides: Record<string, string> = {}): Record<string, string> {
  const body = slashCommandBody({
    userId: alice.id,
    userName: alice.name,
    command: '/env',
    text: 'request soc-platform --ttl 8h',
    channelId: 'C0GENERAL',
    teamId: 'T1',
    responseUrl: 'https://hooks.slack.com/commands/T1/1/x',
    triggerId: '1.T1.abc',
  });
  return { ...Object.fromEntries(new URLSearchParams(body)), ...overrides };
}

function click(actionId: string, value = 'env-7k2p9q', extra: Record<string, unknown> = {}) {
  return {
    ...blockActionsPayload({
      user: alice,
      teamId: 'T1',
      channelId: 'C0APPROVALS',
      message: { ts: '1700000000.000100' },
      action: { actionId, value },
      responseUrl: 'https://hooks.slack.com/actions/T1/1/y',
      triggerId: '2.T1.def',
    }),
    ...extra,
  };
}

describe('slash commands', () => {
  it('become command invocations of the signed user', () => {
    const result = translateCommand(commandFields(), meta);
    expect(result).toEqual({
      ok: true,
      invocation: {
        kind: 'command',
        requestId: 'req-1',
        receivedAt: meta.receivedAt,
        platform: 'slack',
        user: { platform: 'slack', id: 'U0ALICE', name: 'alice' },
        channelId: 'C0GENERAL',
        command: 'env',
        text: 'request soc-platform --ttl 8h',
      },
      route: { responseUrl: 'https://hooks.slack.com/commands/T1/1/x', triggerId: '1.T1.abc' },
    });
  });

  it('keep /audit and empty text', () => {
    const result = translateCommand(commandFields({ command: '/audit', text: '' }), meta);
    expect(result.ok && result.invocation).toMatchObject({ command: 'audit', text: '' });
  });

  it('refuse commands the app does not register, naming them', () => {
    const result = translateCommand(commandFields({ command: '/deploy' }), meta);
    expect(result).toMatchObject({ ok: false, rejection: { kind: 'command', reason: 'unknown command /deploy', user: { id: 'U0ALICE' }, channelId: 'C0GENERAL' } });
  });

  it('refuse payloads without a usable user id', () => {
    expect(translateCommand(commandFields({ user_id: '' }), meta)).toMatchObject({ ok: false, rejection: { kind: 'command', user: undefined } });
    expect(translateCommand(commandFields({ user_id: '<script>' }), meta)).toMatchObject({ ok: false });
    const { user_id: _dropped, ...withoutUser } = commandFields();
    expect(translateCommand(withoutUser, meta)).toMatchObject({ ok: false, rejection: { reason: expect.stringContaining('user_id') } });
  });

  it('falls back to the id when the name is missing', () => {
    const { user_name: _dropped, ...withoutName } = commandFields();
    const result = translateCommand(withoutName, meta);
    expect(result.ok && result.invocation.user).toEqual({ platform: 'slack', id: 'U0ALICE', name: 'U0ALICE' });
  });
});

describe('button clicks', () => {
  it.each(ACTION_IDS)('%s becomes an action invocation with the clicked message', (actionId) => {
    const result = translateAction(click(actionId), meta);
    expect(result).toEqual({
      ok: true,
      invocation: {
        kind: 'action',
        requestId: 'req-1',
        receivedAt: meta.receivedAt,
        platform: 'slack',
        user: { platform: 'slack', id: 'U0ALICE', name: 'alice' },
        channelId: 'C0APPROVALS',
        actionId,
        value: 'env-7k2p9q',
        message: { platform: 'slack', channelId: 'C0APPROVALS', messageId: '1700000000.000100' },
      },
      route: { responseUrl: 'https://hooks.slack.com/actions/T1/1/y', triggerId: '2.T1.def' },
    });
  });

  it('judges the click by the signed user, whatever the button value claims', () => {
    const forged = click('approve', JSON.stringify({ user: 'U0BOSS', role: 'admin', env: 'env-7k2p9q' }));
    const result = translateAction(forged, meta);
    expect(result.ok && result.invocation.user.id).toBe('U0ALICE');
    expect(result.ok && result.invocation.value).toContain('U0BOSS');
  });

  it('gives no editable message for a click in an ephemeral message', () => {
    const { message: _dropped, ...payload } = click('destroyConfirm');
    const ephemeral = { ...payload, container: { type: 'message', message_ts: '1.2', channel_id: 'C0GENERAL', is_ephemeral: true } };
    const result = translateAction(ephemeral, meta);
    expect(result.ok && result.invocation.message).toBeUndefined();
  });

  it('refuses unknown action ids and payloads without actions', () => {
    expect(translateAction(click('approve_all'), meta)).toMatchObject({
      ok: false,
      rejection: { kind: 'action', reason: 'unknown action approve_all', user: { id: 'U0ALICE' }, channelId: 'C0APPROVALS' },
      route: { responseUrl: 'https://hooks.slack.com/actions/T1/1/y' },
    });
    expect(translateAction(click('approve', 'x', { actions: [] }), meta)).toMatchObject({ ok: false });
    expect(translateAction({ type: 'block_actions' }, meta)).toMatchObject({ ok: false, rejection: { user: undefined } });
  });
});

describe('modal submissions', () => {
  const view = {
    type: 'modal',
    callback_id: 'rejectReason',
    private_metadata: JSON.stringify({ value: 'env-7k2p9q', channelId: 'C0APPROVALS', responseUrl: 'https://hooks.slack.com/actions/T1/1/y' }),
  };

  function submission(overrides: Record<string, unknown> = {}, values: Record<string, string> = { reason: 'too expensive' }) {
    return viewSubmissionPayload({ user: alice, teamId: 'T1', view: { ...view, ...overrides }, viewId: 'V1', values, triggerId: '3.T1.x' });
  }

  it('become dialog submissions carrying the env id and the fields', () => {
    expect(translateViewSubmission(submission(), meta)).toEqual({
      ok: true,
      invocation: {
        kind: 'dialog',
        requestId: 'req-1',
        receivedAt: meta.receivedAt,
        platform: 'slack',
        user: { platform: 'slack', id: 'U0ALICE', name: 'alice' },
        channelId: 'C0APPROVALS',
        callbackId: 'rejectReason',
        value: 'env-7k2p9q',
        fields: { reason: 'too expensive' },
      },
      route: { responseUrl: 'https://hooks.slack.com/actions/T1/1/y', triggerId: '3.T1.x' },
    });
  });

  it('carry the option chosen in a select as its value, as Slack sends it', () => {
    const select = { type: 'static_select', action_id: 'provider', options: [{ text: { type: 'plain_text', text: 'AWS' }, value: 'aws' }] };
    const payload = submission({ blocks: [{ type: 'input', block_id: 'provider', element: select }] }, { reason: 'too expensive', provider: 'aws' });
    expect(translateViewSubmission(payload, meta)).toMatchObject({ ok: true, invocation: { fields: { reason: 'too expensive', provider: 'aws' } } });
  });

  it('refuse other callbacks and unreadable private_metadata', () => {
    expect(translateViewSubmission(submission({ callback_id: 'other' }), meta)).toMatchObject({ ok: false, rejection: { kind: 'dialog', reason: 'unknown dialog other' } });
    expect(translateViewSubmission(submission({ private_metadata: 'env-7k2p9q' }), meta)).toMatchObject({
      ok: false,
      rejection: { reason: 'dialog private_metadata is not readable', user: { id: 'U0ALICE' } },
    });
  });
});
