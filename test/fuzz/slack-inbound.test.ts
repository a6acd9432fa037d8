import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/chat/types.js';
import type { SlackHarness } from '../fakes/slack-harness.js';
import { blockActionsPayload, interactionBody, slackSignature, slashCommandBody, viewSubmissionPayload } from '../fakes/slack-signing.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';
import { startSlackBot } from '../support/slack-bot.js';
import { anyActionId, anyBody, anyContentType, anyJson, anyText, mangled, HTTP_PROPERTY } from '../support/arbitraries.js';
import { expectEachAuditedOnce, stateOf } from '../support/fuzz-inbound.js';

/**
 * The Slack endpoint under random input, through the real HTTP server, Bolt's receiver, the adapter and the commands:
 * unsigned requests are refused before anything reads them; signed ones, however malformed, get an answer or a 4xx,
 * never a 5xx, and each is audited once.
 */
let services: TestServices;
let harness: SlackHarness;
const handled: Invocation[] = [];

beforeAll(async () => {
  services = await createTestServices({ settings: { MAX_ACTIVE_PER_USER: '1000' } });
  harness = await startSlackBot(services, { mode: 'http', users: [USERS.alice, USERS.admin, USERS.approver], handled: handled });
});
afterAll(async () => {
  await harness?.close();
  await services?.close();
});

interface Sent {
  status: number;
  text: string;
  requestId: string;
}

async function post(body: string | Uint8Array, headers: Record<string, string | undefined>): Promise<Sent> {
  const defined = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const response = await fetch(harness.eventsUrl, { method: 'POST', headers: defined, body });
  return { status: response.status, text: await response.text(), requestId: response.headers.get('x-request-id') ?? '' };
}

const now = () => Math.floor(Date.now() / 1000);
const secret = () => harness.config.signingSecret;

function postSigned(body: string, contentType: string | undefined): Promise<Sent> {
  const timestamp = now();
  return post(body, {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': slackSignature(secret(), timestamp, body),
  });
}

/** Bodies Slack answers without a listener (and without a signature): left out of the audit checks. */
const answeredByBolt = (body: string) => /ssl_check|url_verification/.test(body);

function isRequestShaped(sent: Sent) {
  expect(sent.status, sent.text).toBeLessThan(500);
  expect(sent.requestId).not.toBe('');
}

describe('fuzzing the Slack endpoint', () => {
  it('refuses unsigned or wrongly signed requests of any shape before reading them, changing nothing', async () => {
    const before = await stateOf(services.database.pool);
    const signature = fc.oneof(
      fc.constant(undefined),
      fc.constant('v0=deadbeef'),
      fc.string({ maxLength: 80 }).map((text) => `v0=${Buffer.from(text).toString('hex')}`),
      fc.constant('wrong-secret'),
      fc.constant('other-body'),
    );
    const timestamp = fc.oneof(fc.constant(undefined), fc.constant(0), fc.constant(-400), fc.constant(400), fc.constant(Number.NaN));
    await fc.assert(
      fc.asyncProperty(anyBody(), anyContentType(), signature, timestamp, async (body, contentType, signed, skew) => {
        fc.pre(typeof body !== 'string' || !answeredByBolt(body));
        const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
        const ts = skew === undefined ? undefined : Number.isNaN(skew) ? 'soon' : String(now() + skew);
        const header =
          signed === 'wrong-secret' ? slackSignature('not-the-secret', Number(ts) || now(), text)
          : signed === 'other-body' ? slackSignature(secret(), Number(ts) || now(), `${text}x`)
          : signed;
        const sent = await post(body, { 'Content-Type': contentType, 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': header });
        expect([401, 413]).toContain(sent.status);
      }),
      HTTP_PROPERTY,
    );
    expect(handled).toEqual([]);
    expect(await stateOf(services.database.pool)).toEqual(before);
  });

  it('answers signed bodies of any shape and content type with a reply or a 4xx, and audits each once', async () => {
    const payload = anyJson().map((value) => `payload=${encodeURIComponent(JSON.stringify(value) ?? '')}`);
    const body = fc.oneof(anyText(), anyJson().map((value) => JSON.stringify(value) ?? ''), payload).filter((text) => !answeredByBolt(text));
    const requestIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(body, anyContentType(), async (text, contentType) => {
        const sent = await postSigned(text, contentType);
        isRequestShaped(sent);
        expect([200, 400]).toContain(sent.status);
        requestIds.push(sent.requestId);
      }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['command.invoked', 'action.clicked']);
  });

  it('answers signed slash commands with random text: a reply (usage or result) in the ack, audited once', async () => {
    const command = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/env', '/team', '/audit') }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
    const user = fc.constantFrom(USERS.alice, USERS.admin, { id: 'U0NOBODY', name: '' }, { id: 'bad id\u0000', name: 'x' });
    const requestIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(command, anyText(), user, async (name, text, sender) => {
        const body = slashCommandBody({
          userId: sender.id,
          userName: sender.name,
          command: name,
          text,
          channelId: 'C0GENERAL',
          teamId: harness.fake.identity.teamId,
          responseUrl: harness.fake.issueResponseUrl({ userId: sender.id, channelId: 'C0GENERAL' }),
          triggerId: harness.fake.issueTrigger(sender.id),
        });
        const sent = await postSigned(body, 'application/x-www-form-urlencoded');
        isRequestShaped(sent);
        if (sent.status === 200) {
          const answer = JSON.parse(sent.text) as { response_type?: string; text?: string };
          expect(answer.response_type).toBe('ephemeral');
          expect(answer.text?.length).toBeGreaterThan(0);
        } else {
          // Only a command that is no `/name` is refused outright.
          expect(sent.status).toBe(400);
          expect(name).not.toMatch(/^\/./);
        }
        requestIds.push(sent.requestId);
      }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['command.invoked']);
  });

  it('answers signed button clicks and modal submissions with malformed payloads: 200 or 400, audited once', async () => {
    const click = fc.tuple(anyActionId(), fc.oneof(fc.constant('env-aaaaaa'), fc.string({ maxLength: 50 }))).chain(([actionId, value]) =>
      mangled(
        blockActionsPayload({
          user: USERS.approver,
          teamId: harness.fake.identity.teamId,
          channelId: 'C0GENERAL',
          message: { ts: '1700000000.000100' },
          action: { actionId, value },
          responseUrl: harness.fake.issueResponseUrl({ userId: USERS.approver.id, channelId: 'C0GENERAL' }),
          triggerId: harness.fake.issueTrigger(USERS.approver.id),
        }),
      ),
    );
    const submission = mangled(
      viewSubmissionPayload({
        user: USERS.approver,
        teamId: harness.fake.identity.teamId,
        view: { callback_id: 'rejectReason', private_metadata: JSON.stringify({ value: 'env-aaaaaa', channelId: 'C0GENERAL' }) },
        viewId: 'V1',
        values: { reason: 'no' },
        triggerId: harness.fake.issueTrigger(USERS.approver.id),
      }),
    );
    const requestIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.oneof(click, submission), async (payload) => {
        const sent = await postSigned(interactionBody(payload), 'application/x-www-form-urlencoded');
        isRequestShaped(sent);
        expect([200, 400]).toContain(sent.status);
        requestIds.push(sent.requestId);
      }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['action.clicked']);
  });

  it('refuses a click whose actions hold no action (Bolt would leave it to time out) with a 400, audited once', async () => {
    const click = blockActionsPayload({
      user: USERS.approver,
      teamId: harness.fake.identity.teamId,
      channelId: 'C0GENERAL',
      message: { ts: '1700000000.000100' },
      action: { actionId: 'approve', value: 'env-aaaaaa' },
      responseUrl: harness.fake.issueResponseUrl({ userId: USERS.approver.id, channelId: 'C0GENERAL' }),
      triggerId: harness.fake.issueTrigger(USERS.approver.id),
    });
    const requestIds: string[] = [];
    for (const actions of [[], [null], [0, { action_id: 'approve' }], 'approve', { action_id: 'approve' }, null]) {
      const sent = await postSigned(interactionBody({ ...click, actions }), 'application/x-www-form-urlencoded');
      expect(sent.status, JSON.stringify(actions)).toBe(400);
      requestIds.push(sent.requestId);
    }
    const audited = await expectEachAuditedOnce(services.database.pool, requestIds, ['action.clicked']);
    expect(audited.map((row) => row.outcomes[0])).toEqual(requestIds.map(() => 'invalid'));
  });

  it('is still up and answering after all that', async () => {
    const body = slashCommandBody({
      userId: USERS.alice.id,
      userName: USERS.alice.name,
      command: '/env',
      text: 'help',
      channelId: 'C0GENERAL',
      teamId: harness.fake.identity.teamId,
      responseUrl: harness.fake.issueResponseUrl({ userId: USERS.alice.id, channelId: 'C0GENERAL' }),
      triggerId: harness.fake.issueTrigger(USERS.alice.id),
    });
    const sent = await postSigned(body, 'application/x-www-form-urlencoded');
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('/env');
  });
});
