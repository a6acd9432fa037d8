import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../blocks/view.js';
import { handleInvocation } from '../../commands/index.js';
import { signActionContext, signDialogState } from '../../src/chat/mattermost/signing.js';
import type { Invocation } from '../../src/chat/types.js';
import { systemClock } from '../../src/clock.js';
import type { ChatUser } from '../fakes/mattermost-driver.js';
import { mattermostSettings, startMattermostHarness, type MattermostHarness } from '../fakes/mattermost-harness.js';
import { actionRequest, commandRequest, dialogRequest, send, type HttpAnswer, type HttpRequestSpec } from '../fakes/mattermost-requests.js';
import { createTestServices, type TestServices } from '../support/services.js';
import { anyActionId, anyBody, anyContentType, anyText, mangled, HTTP_PROPERTY } from '../support/arbitraries.js';
import { expectEachAuditedOnce, stateOf } from '../support/fuzz-inbound.js';

/**
 * The three Mattermost routes under random input, through the real HTTP server, the adapter and the commands:
 * a request without the command token is refused (401) and changes nothing; every other request, however malformed,
 * gets an answer or a 4xx, never a 5xx, and is audited once.
 */
let harness: MattermostHarness;
let services: TestServices;
const handled: Invocation[] = [];
const alice: ChatUser = { id: 'alice00000000000000000000a', name: 'alice' };

beforeAll(async () => {
  harness = await startMattermostHarness({
    deps: async ({ fake, config, seed }) => {
      fake.store.addUser({ id: alice.id, username: alice.name });
      services = await createTestServices({ settings: { ...mattermostSettings(config), ADMINS: `mattermost:${seed.admin.id}`, MAX_ACTIVE_PER_USER: '1000' } });
      return {
        services: services.s,
        handle: (invocation) => {
          handled.push(invocation);
          return handleInvocation(services.s, invocation);
        },
      };
    },
  });
});
afterAll(async () => {
  await harness?.close();
  await services?.close();
});

const token = () => harness.config.commandTokens[0]!;
const channelId = 'townsquare0000000000000000';

function sendRaw(path: string, body: string | Uint8Array, headers: Record<string, string | undefined>): Promise<HttpAnswer> {
  const defined = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return send(harness.baseUrl, { method: 'POST', path, headers: defined, body: body as string });
}

function answered(answer: HttpAnswer, allowed: number[]) {
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(allowed).toContain(answer.status);
  expect(answer.requestId).toBeTruthy();
  expect(answer.contentType).toBe('application/json');
}

/** Mattermost ids (26 characters), near misses and junk. */
const anyUserId = fc.oneof(fc.constant(alice.id), fc.constant(''), fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-z0-9]{26}$/));

describe('fuzzing the Mattermost routes', () => {
  it('refuses commands without a valid token (401), whatever the body, and changes nothing', async () => {
    const before = await stateOf(services.database.pool);
    const requestIds: string[] = [];
    const authorization = fc.oneof(fc.constant(undefined), fc.constant('Token '), fc.string({ maxLength: 60 }).map((text) => `Token ${text.replace(/[^\x21-\x7e]/g, 'x')}`));
    await fc.assert(
      fc.asyncProperty(anyBody(), anyContentType(), authorization, async (body, contentType, auth) => {
        fc.pre(typeof body !== 'string' || !body.includes(token()));
        const answer = await sendRaw('/mattermost/command', body, { 'Content-Type': contentType, Authorization: auth });
        answered(answer, [401]);
        requestIds.push(answer.requestId!);
      }),
      HTTP_PROPERTY,
    );
    expect(handled).toEqual([]);
    const after = await stateOf(services.database.pool);
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    // Each refusal is on record as denied, with no verified actor.
    const audited = await expectEachAuditedOnce(services.database.pool, requestIds, ['command.invoked']);
    expect(new Set(audited.flatMap((row) => row.outcomes))).toEqual(new Set(['denied']));
  });

  it('answers tokened commands with random text and fields: a reply or a 400, audited once', async () => {
    const requestIds: string[] = [];
    const command = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/env', '/team', '/audit', 'env') }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
    await fc.assert(
      fc.asyncProperty(command, anyText(), anyUserId, fc.dictionary(fc.constantFrom('user_id', 'channel_id', 'team_id', 'trigger_id', 'user_name', 'extra'), anyText(), { maxKeys: 2 }), fc.boolean(),
        async (name, text, userId, fields, asQuery) => {
          const request = commandRequest({ token: token(), userId, userName: 'alice', channelId, teamId: harness.seed.teamId, command: name, text, fields, method: asQuery ? 'G' : 'P' });
          fc.pre(request.path.length < 8000);
          const answer = await send(harness.baseUrl, request);
          answered(answer, [200, 400]);
          if (answer.status === 200) expect(answer.json).toMatchObject({ response_type: 'ephemeral' });
          requestIds.push(answer.requestId!);
        }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['command.invoked']);
  });

  it('answers button clicks of any shape, signed or not, with 200 or a 4xx, audited once when read', async () => {
    const signedContext = fc
      .tuple(fc.constantFrom(...ACTION_IDS), fc.oneof(fc.constant('env-aaaaaa'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/)))
      .map(([actionId, value]) => signActionContext(harness.config.actionSecret, { actionId, value }, systemClock) as Record<string, unknown>);
    const context = fc.oneof(signedContext, signedContext.chain((signed) => mangled(signed)), fc.record({ actionId: anyActionId(), value: anyText() }));
    const click = fc.tuple(context, anyUserId).chain(([ctx, userId]) =>
      mangled(JSON.parse(actionRequest({ userId, userName: 'alice', channelId, teamId: harness.seed.teamId, postId: 'post00000000000000000000aa', triggerId: 't', context: ctx }).body!) as Record<string, unknown>),
    );
    const body = fc.oneof(click.map((value) => JSON.stringify(value)), anyBody());
    const requestIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(body, fc.oneof(fc.constant('application/json'), anyContentType()), async (text, contentType) => {
        const answer = await sendRaw('/mattermost/actions', text, { 'Content-Type': contentType });
        answered(answer, [200, 400, 413]);
        // Over 64 KB is refused before the body is read: nobody is known to audit.
        if (answer.status !== 413) requestIds.push(answer.requestId!);
      }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['action.clicked']);
  });

  it('answers dialog submissions of any shape, signed or not, with 200 or a 4xx, audited once when read and not cancelled', async () => {
    const state = fc.oneof(
      fc.constant(signDialogState(harness.config.actionSecret, { callbackId: 'rejectReason', value: 'env-aaaaaa', userId: alice.id }, systemClock)),
      anyText(),
    );
    const submission = fc.tuple(state, anyUserId, fc.dictionary(fc.string({ maxLength: 20 }), anyText(), { maxKeys: 3 })).chain(([signed, userId, fields]) =>
      mangled(JSON.parse(dialogRequest({ userId, channelId, teamId: harness.seed.teamId, callbackId: 'rejectReason', state: signed, submission: fields }).body!) as Record<string, unknown>),
    );
    const requestIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.oneof(submission.map((value) => JSON.stringify(value)), anyBody()), async (text) => {
        const answer = await sendRaw('/mattermost/dialogs', text, { 'Content-Type': 'application/json' });
        answered(answer, [200, 400, 413]);
        // A cancelled dialog is only closed: nothing was asked of the bot.
        const cancelled = (() => {
          try {
            return (JSON.parse(typeof text === 'string' ? text : '') as { cancelled?: unknown }).cancelled === true;
          } catch {
            return false;
          }
        })();
        if (!cancelled && answer.status !== 413) requestIds.push(answer.requestId!);
      }),
      HTTP_PROPERTY,
    );
    await expectEachAuditedOnce(services.database.pool, requestIds, ['action.clicked', 'command.invoked']);
  });

  it('refuses bodies over the limit with 413 before reading them, and keeps answering', async () => {
    const huge = 'x'.repeat(70 * 1024);
    for (const path of ['/mattermost/actions', '/mattermost/dialogs']) {
      const answer = await sendRaw(path, huge, { 'Content-Type': 'application/json' });
      expect(answer.status).toBe(413);
    }
    const help: HttpRequestSpec = commandRequest({ token: token(), userId: alice.id, userName: 'alice', channelId, teamId: harness.seed.teamId, command: '/env', text: 'help' });
    const answer = await send(harness.baseUrl, help);
    expect(answer).toMatchObject({ status: 200, json: { response_type: 'ephemeral' } });
  });
});
