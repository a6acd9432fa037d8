import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackPlatform } from '../../src/chat/slack/platform.js';
import type { Invocation } from '../../src/chat/types.js';
import { silentLogger } from '../../src/log.js';
import { FakeSlack } from '../fakes/slack.js';
import type { SlackHarness } from '../fakes/slack-harness.js';
import { blockActionsPayload, slashCommandBody } from '../fakes/slack-signing.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';
import { startSlackBot } from '../support/slack-bot.js';

/** Socket Mode: the same listeners, fed by envelopes over the fake's WebSocket instead of signed HTTP requests. */
let services: TestServices;
let harness: SlackHarness;
const invocations: Invocation[] = [];
const alice = USERS.alice;

beforeAll(async () => {
  services = await createTestServices();
  harness = await startSlackBot(services, { mode: 'socket', users: [alice], handled: invocations });
});
afterAll(async () => {
  await harness?.close();
  await services?.close();
});

async function auditRowsOf(actorId: string) {
  const result = await services.database.pool.query<{ event_type: string; outcome: string; details: Record<string, unknown> }>(
    'select event_type, outcome, details from audit_log where actor_id = $1 order by id',
    [actorId],
  );
  return result.rows;
}

describe('Slack Socket Mode', () => {
  it('connects with the app-level token through apps.connections.open', async () => {
    expect(harness.platform.mode).toBe('socket');
    expect(harness.fake.callsTo('apps.connections.open')).toEqual([expect.objectContaining({ ok: true, auth: 'bearer' })]);
    expect(harness.fake.socket.connections).toBe(1);
  });

  it('acks a slash command envelope with the answer, handled as the user of the envelope', async () => {
    const fields = Object.fromEntries(
      new URLSearchParams(
        slashCommandBody({
          userId: alice.id,
          userName: alice.name,
          command: '/env',
          text: 'help',
          channelId: 'C0GENERAL',
          teamId: harness.fake.identity.teamId,
          responseUrl: harness.fake.issueResponseUrl({ userId: alice.id, channelId: 'C0GENERAL' }),
          triggerId: harness.fake.issueTrigger(alice.id),
        }),
      ),
    );
    const ack = await harness.fake.socket.deliver('slash_commands', fields);
    expect(harness.fake.socket.acks.map((a) => a.envelopeId)).toContain(ack.envelopeId);
    expect(harness.fake.callsTo('socket.ack').map((call) => call.params.envelopeId)).toContain(ack.envelopeId);
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/env request') });
    expect(ack.ms).toBeLessThan(3000);
    expect(invocations.at(-1)).toMatchObject({ kind: 'command', command: 'env', text: 'help', user: { id: alice.id } });
    expect(await auditRowsOf(alice.id)).toEqual([expect.objectContaining({ event_type: 'command.invoked', outcome: 'ok' })]);
  });

  it('answers commands through the driver the same way as over HTTP', async () => {
    const sent = await harness.driver.command(alice, '/env presets');
    expect(sent.reply?.text).toContain('soc-platform');
  });

  it('acks a click envelope at once and answers through its response_url', async () => {
    const payload = blockActionsPayload({
      user: alice,
      teamId: harness.fake.identity.teamId,
      channelId: 'C0GENERAL',
      message: { ts: '1700000000.000100' },
      action: { actionId: 'extend1h', value: 'env-zzzzzz' },
      responseUrl: harness.fake.issueResponseUrl({ userId: alice.id, channelId: 'C0GENERAL' }),
      triggerId: harness.fake.issueTrigger(alice.id),
    });
    const ack = await harness.fake.socket.deliver('interactive', payload);
    expect(ack.payload).toBeUndefined();
    const answer = await harness.fake.waitFor(() => harness.fake.ephemeralsFor(alice.id).find((m) => m.source === 'response_url'));
    expect(answer.text).toContain('env-zzzzzz');
    expect(invocations.at(-1)).toMatchObject({ kind: 'action', actionId: 'extend1h', user: { id: alice.id } });
  });

  it('refuses to start with an app token Slack does not accept', async () => {
    const fake = await FakeSlack.start();
    try {
      const platform = createSlackPlatform(
        { signingSecret: 's', botToken: fake.botToken, appToken: 'xapp-1-revoked', apiUrl: fake.apiUrl, approvalsChannel: 'C1', auditChannel: undefined },
        {
          log: silentLogger,
          clock: services.s.clock,
          retryConfig: { retries: 0 },
          handle: () => Promise.reject(new Error('not reached')),
          recordRejected: async () => undefined,
        },
      );
      await expect(platform.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
      expect(fake.socket.connections).toBe(0);
    } finally {
      await fake.stop();
    }
  });
});
