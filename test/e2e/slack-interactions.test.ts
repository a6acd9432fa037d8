import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { View } from '../../blocks/view.js';
import type { AckSample, RejectedSlackRequest } from '../../src/chat/slack/listeners.js';
import { createSlackPlatform } from '../../src/chat/slack/platform.js';
import type { Invocation, Reply } from '../../src/chat/types.js';
import { ManualClock, systemClock } from '../../src/clock.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { toChatMessage } from '../fakes/slack-driver.js';
import { startSlackHarness, type SlackHarness } from '../fakes/slack-harness.js';
import { postSigned, slashCommandBody } from '../fakes/slack-signing.js';

/**
 * The adapter's mechanics through the real HTTP server and Bolt's receiver, with a scripted handler standing in for
 * commands/: what goes in the ack, what goes through the response_url, modals, refusals and ack timing.
 */
const handled: Invocation[] = [];
const rejected: RejectedSlackRequest[] = [];
const acks: AckSample[] = [];
let answer: (invocation: Invocation) => Promise<Reply>;
const fakeClock = new ManualClock(new Date());
let harness: SlackHarness;

const view = (text: string, extra: View['blocks'] = []): View => ({ text, blocks: [{ kind: 'text', text }, ...extra] });

beforeAll(async () => {
  harness = await startSlackHarness({
    mode: 'http',
    fake: { clock: fakeClock },
    deps: () => ({
      log: silentLogger,
      clock: systemClock,
      retryConfig: { retries: 0 },
      ackDeadlineMs: 400,
      handle: async (invocation) => {
        handled.push(invocation);
        return answer(invocation);
      },
      recordRejected: async (request) => {
        rejected.push(request);
      },
      onAck: (sample) => acks.push(sample),
    }),
  });
});
afterAll(async () => harness.close());
beforeEach(() => {
  handled.length = 0;
  rejected.length = 0;
  acks.length = 0;
  answer = async () => ({ view: view('ok') });
});

const alice = { id: 'U0ALICE', name: 'alice' };
const ana = { id: 'U0ANA', name: 'ana' };

async function approvalCard() {
  harness.driver.user(alice.id, alice.name);
  harness.driver.user(ana.id, ana.name);
  const ref = await harness.platform.notifier.post('C0APPROVALS', {
    text: 'Plan env-7k2p9q',
    blocks: [
      { kind: 'text', text: 'Plan `env-7k2p9q`' },
      { kind: 'actions', buttons: [{ actionId: 'approve', label: 'Approve', value: 'env-7k2p9q' }, { actionId: 'reject', label: 'Reject', value: 'env-7k2p9q' }] },
    ],
  });
  return toChatMessage(harness.fake.state.findMessage(ref.channelId, ref.messageId)!);
}

describe('slash commands over HTTP', () => {
  it('are answered in the ack, as an ephemeral message rendered from the reply', async () => {
    answer = async () => ({ view: view('*Presets*: `soc-platform`') });
    const sent = await harness.driver.command(alice, '/env presets');
    expect(sent.status).toBe(200);
    expect(sent.reply?.text).toContain('*Presets*: `soc-platform`');
    expect(handled).toEqual([
      expect.objectContaining({ kind: 'command', command: 'env', text: 'presets', user: { platform: 'slack', id: 'U0ALICE', name: 'alice' }, channelId: 'C0GENERAL', requestId: sent.requestId }),
    ]);
    await vi.waitFor(() => expect(acks).toEqual([expect.objectContaining({ platform: 'slack', kind: 'command', requestId: sent.requestId })]));
    expect(acks[0]!.seconds).toBeLessThan(3);
  });

  it('ack a slow handler before Slack gives up, and answer through the response_url when it is done', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    answer = async () => {
      await finished;
      return { view: view('Done at last') };
    };
    // The handler cannot finish until the test lets it: the ack below came while it was still working.
    const sent = await harness.driver.command(alice, '/env list');
    expect(sent.reply?.text).toContain('Working on it');
    expect(acks).toEqual([expect.objectContaining({ kind: 'command', requestId: sent.requestId })]);
    expect(harness.fake.ephemeralsFor(alice.id).some((m) => m.text === 'Done at last')).toBe(false);
    finish();
    const late = await harness.fake.waitFor(() => harness.fake.ephemeralsFor(alice.id).find((m) => m.text === 'Done at last'));
    expect(late.source).toBe('response_url');
  });

  it('show "something went wrong" with the request id when the handler fails', async () => {
    answer = async () => {
      throw new Error('database exploded');
    };
    const sent = await harness.driver.command(alice, '/env list');
    expect(sent.reply?.text).toContain(`Something went wrong (request id ${sent.requestId})`);
    expect(sent.reply?.text).not.toContain('exploded');
  });

  it('refuse a command the app does not register, and record the refusal', async () => {
    const sent = await harness.driver.command(alice, '/deploy everything');
    expect(sent.status).toBe(200);
    expect(sent.reply?.text).toContain('This request could not be read.');
    // The refusal is recorded right after the ack.
    await vi.waitFor(() =>
      expect(rejected).toEqual([
        { platform: 'slack', requestId: sent.requestId, kind: 'command', reason: 'unknown command /deploy', user: { platform: 'slack', id: 'U0ALICE', name: 'alice' }, channelId: 'C0GENERAL' },
      ]),
    );
    expect(handled).toEqual([]);
  });

  it('answer with exactly application/json', async () => {
    const body = slashCommandBody({
      userId: alice.id, userName: alice.name, command: '/env', text: 'help', channelId: 'C0GENERAL', teamId: 'T1',
      responseUrl: harness.fake.issueResponseUrl({ userId: alice.id, channelId: 'C0GENERAL' }), triggerId: harness.fake.issueTrigger(alice.id),
    });
    const response = await postSigned(harness.eventsUrl, body, { secret: harness.config.signingSecret });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral', text: 'ok' });
  });
});

describe('button clicks and the reject modal over HTTP', () => {
  it('replace the clicked message and answer the clicker alone', async () => {
    const card = await approvalCard();
    answer = async () => ({ view: view('You approved env-7k2p9q'), replaceOriginal: view('Approved by <@U0ANA|ana>') });
    const sent = await harness.driver.click(ana, card, 'approve');
    expect(sent.status).toBe(200);
    await harness.fake.waitFor(() => harness.fake.ephemeralsFor(ana.id).find((m) => m.text === 'You approved env-7k2p9q'));
    expect(harness.driver.refresh(card).text).toContain('Approved by <@U0ANA|ana>');
    expect(handled).toEqual([
      expect.objectContaining({
        kind: 'action',
        actionId: 'approve',
        value: 'env-7k2p9q',
        user: { platform: 'slack', id: 'U0ANA', name: 'ana' },
        message: { platform: 'slack', channelId: 'C0APPROVALS', messageId: card.id },
      }),
    ]);
    expect(acks).toEqual([expect.objectContaining({ kind: 'action' })]);
  });

  it('open the reject modal with the trigger id and bring the reason back as a dialog submission', async () => {
    const card = await approvalCard();
    answer = async (invocation) =>
      invocation.kind === 'action'
        ? {
            view: { text: '', blocks: [] },
            openDialog: { callbackId: 'rejectReason', title: 'Reject env-7k2p9q', submitLabel: 'Reject', value: 'env-7k2p9q', fields: [{ kind: 'text', name: 'reason', label: 'Reason', maxLength: 500 }] },
          }
        : { view: view('Rejected env-7k2p9q'), replaceOriginal: view('Rejected by <@U0ANA|ana>: too expensive') };
    const shownBefore = harness.fake.ephemeralsFor(ana.id).length;
    await harness.driver.click(ana, card, 'reject');
    const opened = await harness.fake.waitFor(() => harness.fake.state.views.find((v) => v.userId === ana.id));
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'rejectReason', title: { text: 'Reject env-7k2p9q' } });
    // An empty reply view shows nothing besides the modal.
    expect(harness.fake.ephemeralsFor(ana.id)).toHaveLength(shownBefore);

    const submitted = await harness.driver.submitDialog(ana, { reason: 'too expensive' });
    expect(submitted.status).toBe(200);
    await harness.fake.waitFor(() => harness.fake.ephemeralsFor(ana.id).find((m) => m.text === 'Rejected env-7k2p9q'));
    expect(handled[1]).toEqual(
      expect.objectContaining({ kind: 'dialog', callbackId: 'rejectReason', value: 'env-7k2p9q', fields: { reason: 'too expensive' }, channelId: 'C0APPROVALS', user: expect.objectContaining({ id: 'U0ANA' }) }),
    );
    expect(harness.driver.refresh(card).text).toContain('too expensive');
  });

  it('tell the user to click again when the modal could not open in time', async () => {
    const card = await approvalCard();
    answer = async () => {
      fakeClock.advance(3500);
      return { view: { text: '', blocks: [] }, openDialog: { callbackId: 'rejectReason', title: 'Reject', submitLabel: 'Reject', value: 'env-7k2p9q', fields: [] } };
    };
    await harness.driver.click(ana, card, 'reject');
    const told = await harness.fake.waitFor(() => harness.fake.ephemeralsFor(ana.id).find((m) => m.text.includes('could not be opened in time')));
    expect(told.text).toContain('Click the button again.');
    expect(harness.fake.callsTo('views.open').at(-1)).toMatchObject({ ok: false, error: 'expired_trigger_id' });
  });

  it('refuse an unknown button without handling it, and record the refusal', async () => {
    const card = await approvalCard();
    const sent = await harness.driver.click(ana, card, 'approveAll', { value: 'env-7k2p9q' });
    expect(sent.status).toBe(200);
    await harness.fake.waitFor(() => harness.fake.ephemeralsFor(ana.id).find((m) => m.text.includes('could not be read')));
    expect(handled).toEqual([]);
    expect(rejected).toEqual([expect.objectContaining({ kind: 'action', reason: 'unknown action approveAll', user: expect.objectContaining({ id: 'U0ANA' }), channelId: 'C0APPROVALS' })]);
  });

  it('surface AppError replies from the handler as they are', async () => {
    const card = await approvalCard();
    answer = async () => {
      throw new AppError('self_approval', 'You cannot approve your own request.');
    };
    await harness.driver.click(alice, card, 'approve');
    await harness.fake.waitFor(() => harness.fake.ephemeralsFor(alice.id).find((m) => m.text.includes('You cannot approve your own request.')));
  });
});

describe('the driver', () => {
  it('tells the conversation as a transcript', () => {
    const transcript = harness.driver.transcript();
    expect(transcript).toContain('> alice typed: /env presets');
    expect(transcript).toContain('[#general] (only @alice sees this)');
    expect(transcript).toContain('> ana clicked Approve');
    expect(transcript.some((line) => line.startsWith('[#approvals]') && line.includes('edited'))).toBe(true);
    expect(transcript).toContain('  [Approve] [Reject]');
  });
});

describe('start', () => {
  const deps = { log: silentLogger, clock: systemClock, retryConfig: { retries: 0 }, handle: async () => ({ view: view('x') }), recordRejected: async () => undefined };

  it('refuses a bot token Slack does not accept, saying so', async () => {
    const config = { ...harness.config, botToken: 'xoxb-revoked' };
    const platform = createSlackPlatform(config, deps);
    await expect(platform.start()).rejects.toMatchObject({ code: 'internal', message: 'Slack refused auth.test: invalid_auth.' });
  });

  it('fails at once when Slack cannot be reached', async () => {
    const config = { ...harness.config, apiUrl: 'http://127.0.0.1:9/api/' };
    const platform = createSlackPlatform(config, deps);
    await expect(platform.start()).rejects.toMatchObject({ code: 'unavailable', retry: true });
  });

  it('answers 503 until started', async () => {
    const idle = await startSlackHarness({ mode: 'http', start: false, deps: () => deps });
    try {
      const response = await postSigned(idle.eventsUrl, 'command=%2Fenv', { secret: idle.config.signingSecret });
      expect(response.status).toBe(503);
    } finally {
      await idle.close();
    }
  });
});
