import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signActionContext, signDialogState } from '../../src/chat/mattermost/signing.js';
import { systemClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { environments } from '../../src/db/schema/environments.js';
import type { ChatMessage, ChatUser } from '../fakes/mattermost-driver.js';
import type { MattermostHarness } from '../fakes/mattermost-harness.js';
import { actionRequest, commandRequest, dialogRequest, send } from '../fakes/mattermost-requests.js';
import { startMattermostBot } from '../support/mattermost-bot.js';
import { eventually, type TestServices } from '../support/services.js';

/**
 * Each refusal of the Mattermost adapter through the real HTTP server, the real commands and workflows, Postgres and
 * Redis: it is answered, audited, and changes nothing.
 */
let harness: MattermostHarness;
let services: TestServices;
const alice: ChatUser = { id: 'alice00000000000000000000a', name: 'alice' };
const ana: ChatUser = { id: 'ana0000000000000000000000a', name: 'ana' };
const mallory: ChatUser = { id: 'mallory00000000000000000aa', name: 'mallory' };

beforeAll(async () => {
  ({ harness, services } = await startMattermostBot([alice, ana, mallory], ana));
});

afterAll(async () => {
  await harness?.close();
  await services?.close();
});

async function auditOf(requestId: string | null) {
  expect(requestId).toBeTruthy();
  return services.s.db.select().from(auditLog).where(eq(auditLog.requestId, requestId!));
}

/**
 * What a refused request must leave as it was: the number of labs, the lab it was about (state, version, decision),
 * its approval card and the card's thread in Mattermost, and the dialogs opened. Scoped to one lab because labs
 * approved by earlier tests keep deploying in the background.
 */
async function snapshot(envId?: string, card?: ChatMessage) {
  const all = await services.s.db.select({ id: environments.id }).from(environments);
  const env = envId ? await services.s.db.select().from(environments).where(eq(environments.id, envId)) : [];
  const decided = envId ? await services.s.db.select().from(decisions).where(eq(decisions.envId, envId)) : [];
  const post = card ? harness.fake.store.posts.get(card.id) : undefined;
  return {
    labs: all.length,
    env,
    decided,
    card: post ? JSON.stringify([post.message, post.props, post.edit_at]) : undefined,
    thread: card ? harness.fake.store.postList(card.channelId).filter((item) => item.root_id === card.id).length : 0,
    dialogs: harness.fake.store.dialogs.length,
  };
}

/** Alice (or another user) requests a lab; resolves with its id and the approval card once the worker posted it. */
async function requestLab(requester: ChatUser = alice): Promise<{ envId: string; card: ChatMessage }> {
  const { answer, reply } = await harness.driver.command(requester, '/env request soc-platform --ttl 2h');
  expect(answer.status).toBe(200);
  const envId = /env-[a-z0-9]{6}/.exec(reply!.text)![0];
  const card = await harness.driver.waitFor(
    () => harness.driver.channel(harness.config.approvalsChannel).find((message) => message.text.includes(envId) && message.buttons.length > 0),
  );
  // The worker records where the card is right after posting it; wait for that too, so nothing moves underneath.
  await eventually(async () => {
    const [env] = await services.s.db.select().from(environments).where(eq(environments.id, envId));
    return env?.approvalCard?.messageId === card.id ? env : undefined;
  }, 10_000, `the card of ${envId} to be recorded`);
  return { envId, card };
}

/** The signed context of a button as Mattermost stores it with the post. */
function contextOf(card: ChatMessage, actionId: string): Record<string, string> {
  const post = harness.fake.store.posts.get(card.id)!;
  const attachments = post.props.attachments as { actions?: { integration: { context: Record<string, string> } }[] }[];
  return attachments.flatMap((attachment) => attachment.actions ?? []).find((action) => action.integration.context.actionId === actionId)!.integration.context;
}

describe('Mattermost security, end to end', () => {
  it('refuses a wrong or missing command token with 401 JSON, audits it as denied, and creates nothing', async () => {
    const before = await snapshot();
    const posts = harness.fake.store.posts.size;
    const fields = { userId: alice.id, userName: 'alice', channelId: 'townsquare0000000000000000', teamId: harness.seed.teamId, command: '/env', text: 'request soc-platform' };
    const wrong = await send(harness.baseUrl, commandRequest({ ...fields, token: 'not-the-token' }));
    expect(wrong).toMatchObject({ status: 401, contentType: 'application/json', json: { error: 'invalid_token' } });
    const missing = await send(harness.baseUrl, commandRequest({ ...fields, token: '', headers: { Authorization: null } }));
    expect(missing.status).toBe(401);
    // The header is what the server sends; a right token in the form does not rescue a wrong header.
    const mixed = await send(harness.baseUrl, commandRequest({ ...fields, token: 'not-the-token', fields: { token: harness.config.commandTokens[0]! } }));
    expect(mixed.status).toBe(401);

    for (const answer of [wrong, missing, mixed]) {
      const [entry, ...more] = await auditOf(answer.requestId);
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ eventType: 'command.invoked', outcome: 'denied', platform: 'mattermost', actorId: 'unverified' });
      expect(entry!.details).toMatchObject({ error: 'verification_failed', claimedUserId: alice.id });
      expect(JSON.stringify(entry)).not.toContain('not-the-token');
    }
    expect(await snapshot()).toEqual(before);
    expect(harness.fake.store.posts.size).toBe(posts);
  });

  it('accepts the token from the form when the header is absent (older servers), so the check is the token itself', async () => {
    const answer = await send(
      harness.baseUrl,
      commandRequest({ token: harness.config.commandTokens[0]!, userId: alice.id, userName: 'alice', channelId: 'town', teamId: harness.seed.teamId, command: '/env', text: 'help', headers: { Authorization: null } }),
    );
    expect(answer).toMatchObject({ status: 200, contentType: 'application/json', json: { response_type: 'ephemeral' } });
  });

  it('refuses a tampered or forged button context, audits it as denied, and changes nothing', async () => {
    const { envId, card } = await requestLab();
    const genuine = contextOf(card, 'approve');
    const other = signActionContext('some-other-secret', { actionId: 'approve', value: envId }, systemClock);
    const forgeries = [
      { ...genuine, actionId: 'reject' },
      { ...genuine, value: 'env-aaaaaa' },
      { ...genuine, issuedAt: new Date().toISOString() },
      { ...genuine, nonce: 'AAAAAAAAAAAAAAAA' },
      { ...genuine, signature: genuine.signature!.replace(/^./, (char) => (char === 'a' ? 'b' : 'a')) },
      other,
      { actionId: 'approve', value: envId },
      undefined,
    ];
    const before = await snapshot(envId, card);
    for (const context of forgeries) {
      const answer = await send(
        harness.baseUrl,
        actionRequest({ userId: ana.id, userName: 'ana', channelId: card.channelId, teamId: harness.seed.teamId, postId: card.id, triggerId: 'x', context }),
      );
      expect(answer).toMatchObject({ status: 200, contentType: 'application/json' });
      expect((answer.json as { ephemeral_text: string }).ephemeral_text).toContain('could not be verified, so nothing was done');
      expect(answer.json).not.toHaveProperty('update');
      const [entry] = await auditOf(answer.requestId);
      expect(entry).toMatchObject({ eventType: 'action.clicked', outcome: 'denied', actorId: 'unverified', details: { claimedUserId: ana.id } });
    }
    expect(await snapshot(envId, card)).toEqual(before);
    expect(before.env[0]!.state).toBe('pending_approval');
  });

  it('refuses a self-approval by an approver: answered, audited as denied, nothing decided', async () => {
    const { envId, card } = await requestLab(ana);
    const before = await snapshot(envId, card);
    const { answer, reply } = await harness.driver.click(ana, card, 'approve');
    expect(answer).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(reply?.text).toContain('cannot decide on your own request');
    const [entry] = await auditOf(answer.requestId);
    expect(entry).toMatchObject({ eventType: 'action.clicked', outcome: 'denied', actorId: ana.id, resourceId: envId, details: { error: 'self_approval' } });
    // Reject is refused just the same, before any dialog opens.
    const reject = await harness.driver.click(ana, card, 'reject');
    expect(reject.reply?.text).toContain('cannot decide on your own request');
    expect(harness.driver.dialogFor(ana)).toBeUndefined();
    expect(await snapshot(envId, card)).toEqual(before);
  });

  it('judges a click by the user Mattermost names, not by anything in the button', async () => {
    const { envId, card } = await requestLab();
    const before = await snapshot(envId, card);
    const { answer, reply } = await harness.driver.click(mallory, card, 'approve');
    expect(reply?.text).toContain('Only approvers and admins');
    expect((await auditOf(answer.requestId))[0]).toMatchObject({ outcome: 'denied', actorId: mallory.id, details: { error: 'forbidden' } });
    expect(await snapshot(envId, card)).toEqual(before);
  });

  it('refuses a replayed click after the decision: audited, one decision, the card edited once', async () => {
    const { envId, card } = await requestLab();
    // Kept before the card loses its buttons: a replay re-sends them, as an attacker or a stale client would.
    const approveContext = contextOf(card, 'approve');
    const rejectContext = contextOf(card, 'reject');
    const approved = await harness.driver.click(ana, card, 'approve');
    expect(approved.reply?.text).toContain('You approved');
    const decidedCard = await harness.driver.waitFor(() => {
      const current = harness.driver.toMessage(harness.fake.store.posts.get(card.id)!);
      return current.text.includes('Approved by @ana') ? current : undefined;
    });
    expect(decidedCard.buttons).toEqual([]);

    const before = await snapshot(envId);
    const cardBefore = JSON.stringify(harness.fake.store.posts.get(card.id)!.props);
    const replays = [
      { user: ana, context: approveContext },
      { user: { id: harness.seed.admin.id, name: harness.seed.admin.username }, context: approveContext },
      { user: ana, context: rejectContext },
    ];
    for (const { user, context } of replays) {
      const answer = await send(
        harness.baseUrl,
        actionRequest({ userId: user.id, userName: user.name, channelId: card.channelId, teamId: harness.seed.teamId, postId: card.id, triggerId: harness.fake.store.issueTrigger(user.id), context }),
      );
      expect(answer.status).toBe(200);
      expect(answer.json).not.toHaveProperty('update');
      expect((answer.json as { ephemeral_text: string }).ephemeral_text).toMatch(/already (approved|decided)|no longer waiting/);
      const [entry] = await auditOf(answer.requestId);
      expect(entry).toMatchObject({ eventType: 'action.clicked', actorId: user.id, resourceId: envId });
      expect(entry!.outcome).not.toBe('ok');
    }
    expect(harness.driver.dialogFor(ana)).toBeUndefined();
    const after = await snapshot(envId);
    expect(after.decided).toEqual(before.decided);
    expect(after.decided).toHaveLength(1);
    expect(after.dialogs).toBe(before.dialogs);
    expect(JSON.stringify(harness.fake.store.posts.get(card.id)!.props)).toBe(cardBefore);
    const approvals = await services.s.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'plan.approved'), eq(auditLog.resourceId, envId)));
    expect(approvals).toHaveLength(1);
    const cardEdits = harness.fake.callsTo('PUT', `/api/v4/posts/${card.id}/patch`);
    expect(cardEdits).toHaveLength(1);
  });

  it('refuses a dialog submission whose state was forged, altered, or opened for someone else', async () => {
    const { envId, card } = await requestLab();
    const secret = harness.config.actionSecret;
    const forAna = signDialogState(secret, { callbackId: 'rejectReason', value: envId, userId: ana.id }, systemClock);
    const [payload, signature] = forAna.split('.') as [string, string];
    const cases = [
      { user: ana, state: signDialogState('wrong-secret', { callbackId: 'rejectReason', value: envId, userId: ana.id }, systemClock) },
      { user: ana, state: `${Buffer.from(JSON.stringify(['rejectReason', 'env-aaaaaa', ana.id, new Date().toISOString()])).toString('base64url')}.${signature}` },
      { user: ana, state: `${payload}` },
      { user: mallory, state: forAna },
      { user: ana, state: forAna, callbackId: 'somethingElse' },
    ];
    const before = await snapshot(envId, card);
    for (const item of cases) {
      const answer = await send(
        harness.baseUrl,
        dialogRequest({ userId: item.user.id, channelId: card.channelId, teamId: harness.seed.teamId, callbackId: item.callbackId ?? 'rejectReason', state: item.state, submission: { reason: 'looks forged' } }),
      );
      expect(answer).toMatchObject({ status: 200, contentType: 'application/json' });
      expect((answer.json as { error: string }).error).toContain('could not be verified');
      expect((await auditOf(answer.requestId))[0]).toMatchObject({ eventType: 'action.clicked', outcome: 'denied', details: { kind: 'dialog' } });
    }
    expect(await snapshot(envId, card)).toEqual(before);
  });

  it('refuses unreadable requests with 400 and audits them as invalid', async () => {
    const before = await snapshot();
    const garbage = await send(harness.baseUrl, { method: 'POST', path: '/mattermost/actions', headers: { 'Content-Type': 'application/json' }, body: '{"user_id": ' });
    const noUser = await send(harness.baseUrl, { method: 'POST', path: '/mattermost/actions', headers: { 'Content-Type': 'application/json' }, body: '{"context": {}}' });
    const badDialog = await send(harness.baseUrl, { method: 'POST', path: '/mattermost/dialogs', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    const badCommand = await send(
      harness.baseUrl,
      commandRequest({ token: harness.config.commandTokens[0]!, userId: '', userName: 'x', channelId: 'c', teamId: 't', command: '/env', text: 'help' }),
    );
    for (const answer of [garbage, noUser, badDialog, badCommand]) {
      expect(answer).toMatchObject({ status: 400, contentType: 'application/json', json: { error: 'invalid_request' } });
      expect((await auditOf(answer.requestId))[0]).toMatchObject({ outcome: 'invalid' });
    }
    const huge = await send(harness.baseUrl, { method: 'POST', path: '/mattermost/actions', headers: { 'Content-Type': 'application/json' }, body: `{"pad":"${'x'.repeat(100_000)}"}` });
    expect(huge.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });
});
