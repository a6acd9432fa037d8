import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/chat/types.js';
import type { ChatMessage, ChatUser } from '../fakes/slack-driver.js';
import type { SlackHarness } from '../fakes/slack-harness.js';
import { postSigned, slashCommandBody, slackSignature, type SignedPostOptions } from '../fakes/slack-signing.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';
import { startSlackBot } from '../support/slack-bot.js';

/**
 * Security of the Slack edge, end to end: signed form requests through our HTTP server and Bolt's receiver, into the
 * real commands, workflows, Postgres and Redis. Refused requests must change nothing at all.
 */
let services: TestServices;
let harness: SlackHarness;
const invocations: Invocation[] = [];

const alice: ChatUser = USERS.alice;
const bob: ChatUser = USERS.bob;
const approver: ChatUser = USERS.approver;
const admin: ChatUser = USERS.admin;

beforeAll(async () => {
  services = await createTestServices();
  await services.startWorkers();
  harness = await startSlackBot(services, { mode: 'http', users: [alice, bob, approver, admin], handled: invocations });
});
afterAll(async () => {
  await harness?.close();
  await services?.close();
});

async function auditCount(): Promise<number> {
  const result = await services.database.pool.query<{ n: number }>('select count(*)::int as n from audit_log');
  return result.rows[0]!.n;
}

async function auditOf(requestId: string | undefined) {
  const result = await services.database.pool.query<{ event_type: string; actor_id: string; outcome: string; details: Record<string, unknown> }>(
    'select event_type, actor_id, outcome, details from audit_log where request_id = $1 order by id',
    [requestId],
  );
  return result.rows;
}

async function stateOf(envId: string): Promise<string | undefined> {
  const result = await services.database.pool.query<{ state: string }>('select state from environments where id = $1', [envId]);
  return result.rows[0]?.state;
}

function commandBody(text: string, user: ChatUser = alice): string {
  return slashCommandBody({
    userId: user.id,
    userName: user.name,
    command: '/env',
    text,
    channelId: 'C0GENERAL',
    teamId: harness.fake.identity.teamId,
    responseUrl: harness.fake.issueResponseUrl({ userId: user.id, channelId: 'C0GENERAL' }),
    triggerId: harness.fake.issueTrigger(user.id),
  });
}

/** Sends a request that must be refused, and checks that nothing happened anywhere. */
async function expectRefusedWithoutEffect(body: string, options: Omit<SignedPostOptions, 'secret'> & { secret?: string }, status = 401) {
  const auditBefore = await auditCount();
  const handledBefore = invocations.length;
  const slackCallsBefore = harness.fake.calls.length;
  const response = await postSigned(harness.eventsUrl, body, { secret: harness.config.signingSecret, ...options });
  expect(response.status).toBe(status);
  expect(response.text).toBe('');
  // A command is handled (and audited) before its ack, so a wrongly accepted one would show by now.
  expect(invocations.length).toBe(handledBefore);
  expect(await auditCount()).toBe(auditBefore);
  expect(harness.fake.calls.length).toBe(slackCallsBefore);
}

const now = () => Math.floor(Date.now() / 1000);

describe('signed requests', () => {
  it('a correctly signed command is handled and audited (the control for the refusals below)', async () => {
    const before = await auditCount();
    const response = await postSigned(harness.eventsUrl, commandBody('help'), { secret: harness.config.signingSecret });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(await auditCount()).toBe(before + 1);
    expect(await auditOf(response.requestId)).toEqual([expect.objectContaining({ event_type: 'command.invoked', actor_id: alice.id, outcome: 'ok' })]);
  });

  it('a bad signature gets 401 and changes nothing', async () => {
    await expectRefusedWithoutEffect(commandBody('request soc-platform'), { secret: 'not-the-signing-secret' });
    await expectRefusedWithoutEffect(commandBody('request soc-platform'), { signature: 'v0=deadbeef' });
    await expectRefusedWithoutEffect(commandBody('request soc-platform'), { signature: '' });
  });

  it('a body changed after signing gets 401 and changes nothing', async () => {
    const timestamp = now();
    const signature = slackSignature(harness.config.signingSecret, timestamp, commandBody('help'));
    await expectRefusedWithoutEffect(commandBody(`role ${bob.id} admin`), { timestampSeconds: timestamp, signature });
  });

  it('a timestamp 301 s in the past gets 401 and changes nothing', async () => {
    await expectRefusedWithoutEffect(commandBody('request soc-platform'), { timestampSeconds: now() - 301 });
  });

  it('a timestamp 301 s in the future gets 401 and changes nothing', async () => {
    await expectRefusedWithoutEffect(commandBody('request soc-platform'), { timestampSeconds: now() + 301 });
  });

  it('timestamps within five minutes either way are accepted', async () => {
    for (const offset of [-290, 290]) {
      const response = await postSigned(harness.eventsUrl, commandBody('help'), { secret: harness.config.signingSecret, timestampSeconds: now() + offset });
      expect(response.status).toBe(200);
    }
  });

  it('a signed form with a charset suffix is not read as a form: 400, audited as invalid, and nothing else changes', async () => {
    const handledBefore = invocations.length;
    const labsBefore = await services.database.pool.query('select count(*)::int as n from environments');
    const response = await postSigned(harness.eventsUrl, commandBody('request soc-platform'), {
      secret: harness.config.signingSecret,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    });
    expect(response.status).toBe(400);
    expect(response.text).toBe('');
    expect(invocations.length).toBe(handledBefore);
    expect(await auditOf(response.requestId)).toEqual([expect.objectContaining({ event_type: 'command.invoked', actor_id: alice.id, outcome: 'invalid' })]);
    expect(await services.database.pool.query('select count(*)::int as n from environments')).toMatchObject({ rows: labsBefore.rows });
  });
});

describe('what Slack sends besides commands and clicks', () => {
  it('the SSL check is answered 200 unsigned, and runs nothing a form smuggles in beside it', async () => {
    const auditBefore = await auditCount();
    const handledBefore = invocations.length;
    const smuggled = `ssl_check=1&${commandBody('request soc-platform')}`;
    const response = await postSigned(harness.eventsUrl, smuggled, { secret: harness.config.signingSecret, signature: 'v0=deadbeef' });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(invocations.length).toBe(handledBefore);
    expect(await auditCount()).toBe(auditBefore);
  });

  it('a signed URL verification gets its challenge back; an unsigned one gets 401', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-123' });
    const signed = await postSigned(harness.eventsUrl, body, { secret: harness.config.signingSecret, contentType: 'application/json' });
    expect(signed.status).toBe(200);
    expect(signed.json).toEqual({ challenge: 'c-123' });
    await expectRefusedWithoutEffect(body, { signature: 'v0=deadbeef', contentType: 'application/json' });
  });
});

describe('clicks are judged by the signed user.id', () => {
  let card: ChatMessage;
  let envId: string;

  // The requester is an approver, so that only the self-approval rule stands between them and their own plan.
  beforeAll(async () => {
    const sent = await harness.driver.command(approver, '/env request soc-platform --ttl 8h');
    expect(sent.status).toBe(200);
    card = await harness.driver.waitFor(() => harness.driver.channel(services.config.slack!.approvalsChannel).find((m) => m.buttons.length > 0), 15_000);
    envId = card.buttons.find((button) => button.actionId === 'approve')!.value;
    expect(await stateOf(envId)).toBe('pending_approval');
  });

  async function clickAndWaitForAnswer(user: ChatUser, actionId: string, value?: string) {
    const shownBefore = harness.driver.ephemerals(user).length;
    const sent = await harness.driver.click(user, card, actionId, value === undefined ? {} : { value });
    expect(sent.status).toBe(200);
    const answer = await harness.driver.waitFor(() => harness.driver.ephemerals(user)[shownBefore]);
    return { answer, audit: await auditOf(sent.requestId) };
  }

  it('the requester cannot approve their own plan, approver or not', async () => {
    const { answer, audit } = await clickAndWaitForAnswer(approver, 'approve');
    expect(answer.text).toContain('You cannot decide on your own request');
    expect(audit).toEqual([expect.objectContaining({ event_type: 'action.clicked', actor_id: approver.id, outcome: 'denied' })]);
    expect(await stateOf(envId)).toBe('pending_approval');
  });

  it('a button value claiming an admin and their role is not taken as identity', async () => {
    const forged = JSON.stringify({ env: envId, user: admin.id, role: 'admin' });
    const { answer, audit } = await clickAndWaitForAnswer(bob, 'approve', forged);
    expect(invocations.at(-1)).toMatchObject({ kind: 'action', user: { id: bob.id }, value: forged });
    expect(answer.text).toContain('is not an environment id');
    expect(audit).toEqual([expect.objectContaining({ actor_id: bob.id, outcome: 'invalid' })]);
    expect(await stateOf(envId)).toBe('pending_approval');
  });

  it('a member clicking the real button is refused with an explanation', async () => {
    const { answer, audit } = await clickAndWaitForAnswer(bob, 'approve');
    expect(answer.text).toContain('Only approvers and admins can approve or reject plans.');
    expect(audit).toEqual([expect.objectContaining({ actor_id: bob.id, outcome: 'denied' })]);
    expect(await stateOf(envId)).toBe('pending_approval');
  });

  it('an admin’s click approves the plan and the card is edited in place', async () => {
    const { audit } = await clickAndWaitForAnswer(admin, 'approve');
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ event_type: 'action.clicked', actor_id: admin.id, outcome: 'ok' })]));
    expect(await stateOf(envId)).not.toBe('pending_approval');
    const edited = await harness.driver.waitFor(() => {
      const current = harness.driver.refresh(card);
      return current.edits > 0 && current.buttons.length === 0 ? current : undefined;
    }, 15_000);
    expect(edited.text).toContain('Approved by');
  });
});
