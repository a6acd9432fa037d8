import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, mention, type ActionId } from '../../blocks/view.js';
import { DIALOG_CALLBACK_IDS } from '../../commands/actions/index.js';
import { COMMAND_NAMES } from '../../commands/index.js';
import { APIKEY_SUBCOMMANDS, AUDIT_SUBCOMMANDS, CLOUDKEY_SUBCOMMANDS, ENV_SUBCOMMANDS, TEAM_SUBCOMMANDS } from '../../commands/usage.js';
import { Redis } from 'ioredis';
import { apiDoor } from '../../src/api/door.js';
import { RESERVED_EVENTS } from '../../src/audit/events.js';
import { chatActor } from '../../src/domain/actor.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { createApiKey, revokeApiKey } from '../../workflows/api-keys.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { allEventTypes } from '../../src/audit/filters.js';
import type { Invocation } from '../../src/chat/types.js';
import { canTransition, ENV_STATES, TRANSITIONS, type EnvState } from '../../src/domain/lifecycle.js';
import { PLATFORMS } from '../../src/domain/users.js';
import type { Outcome } from '../../src/errors.js';
import { JOB_NAMES, type JobName } from '../../src/queue/jobs.js';
import { redeemSignInLink, signOut } from '../../workflows/console-sessions.js';
import { completeSecondFactor, passkeySignInOptions, secondFactorOptions, signInWithPasskey } from '../../workflows/passkey-sign-in.js';
import { addPasskey, passkeyRegistrationOptions, removePasskey } from '../../workflows/passkeys.js';
import { SoftAuthenticator } from '../support/passkey-authenticator.js';
import { newPair } from '../support/cloud-keys.js';
import { CASTS, click, command, CoverageHarness, submit, submitForm, type Cast } from '../support/coverage-harness.js';
import { readSourceFacts, type SourceFacts } from '../support/coverage-source.js';

/**
 * The audit trail is complete: every event the product can produce is written by the code, every command, button and
 * dialog writes its one chat entry whatever the outcome, every job's outcome and every lifecycle transition is audited.
 * The lists come from the code (the source, the routing tables, the job list, TRANSITIONS); only the inputs that
 * drive each case are written here, and a case missing for something the code has fails the test.
 */

let h: CoverageHarness;
let facts: SourceFacts;

beforeAll(async () => {
  facts = readSourceFacts();
  h = await CoverageHarness.start();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const sorted = <T>(items: Iterable<T>): T[] => [...items].sort();
const CATALOG: readonly string[] = allEventTypes();
const PRODUCIBLE = CATALOG.filter((event) => !(RESERVED_EVENTS as readonly string[]).includes(event));

describe('the event list against the source', () => {
  it('keeps the reserved events in the list', () => {
    expect(RESERVED_EVENTS.filter((event) => !CATALOG.includes(event))).toEqual([]);
  });

  it('writes every event the product can produce somewhere in src/, commands/ or workflows/, and none of the reserved ones', () => {
    const producers = facts.eventSites.filter((site) => site.events.length > 0 && site.events.length < CATALOG.length);
    const produced = new Set(producers.flatMap((site) => site.events));
    expect(sorted(PRODUCIBLE.filter((event) => !produced.has(event))), 'events of the list no code writes').toEqual([]);
    expect(sorted([...produced].filter((event) => !PRODUCIBLE.includes(event))), 'events written that are reserved or unknown').toEqual([]);
  });

  it('has no eventType that is neither a literal of the list nor a pass-through of the whole list', () => {
    const forwarders = facts.eventSites.filter((site) => site.events.length === CATALOG.length);
    expect(forwarders.every((site) => sorted(site.events).join() === sorted(CATALOG).join())).toBe(true);
    // Column definitions of the schema are the only other `eventType:` properties.
    const others = facts.eventSites.filter((site) => site.events.length === 0).filter((site) => !site.at.startsWith('src/db/schema/'));
    expect(others.map((site) => `${site.at}: ${site.type}`)).toEqual([]);
    const outside = facts.eventSites.flatMap((site) => site.events.filter((event) => !CATALOG.includes(event)).map((event) => `${site.at}: ${event}`));
    expect(outside).toEqual([]);
  });

  it('finds every literal `eventType: \'…\'` of the text in the list and among the checker’s findings', () => {
    expect(facts.literalEventTypes.length).toBeGreaterThan(10);
    const found = new Set(facts.eventSites.flatMap((site) => site.events));
    for (const { at, event } of facts.literalEventTypes) {
      expect(CATALOG, at).toContain(event);
      expect(found.has(event), at).toBe(true);
    }
  });
});

/** How to invoke something so that it succeeds, and so that it is refused (with the outcome expected). */
interface Case {
  make(cast: Cast, h: CoverageHarness): Promise<Invocation>;
  outcome: Outcome;
}
interface Cases {
  ok: Case;
  /** Empty only where nothing can be refused (help texts ignore what follows them). */
  refused: Case[];
}

const run = (user: keyof Cast, name: string, text: (cast: Cast, h: CoverageHarness) => string | Promise<string>, outcome: Outcome = 'ok'): Case => ({
  make: async (cast, harness) => command(cast[user], name, await text(cast, harness)),
  outcome,
});
const env = (user: keyof Cast, text: Parameters<typeof run>[2], outcome?: Outcome) => run(user, 'env', text, outcome);
const apikey = (user: keyof Cast, text: Parameters<typeof run>[2], outcome?: Outcome) => run(user, 'apikey', text, outcome);
let keyCount = 0;
/** A key of the cast's owner, made as `/apikey create` makes it; its name. */
async function ownerKey(cast: Cast, harness: CoverageHarness): Promise<{ name: string; prefix: string }> {
  const name = `coverage-${(keyCount += 1)}`;
  const created = await createApiKey(harness.s, { actor: chatActor(cast.owner), name, scope: 'read', lifetimeSeconds: 86_400, requestId: `make-${name}` });
  return { name, prefix: created.row.prefix };
}
const audit = (user: keyof Cast, text: Parameters<typeof run>[2], outcome?: Outcome) => run(user, 'audit', text, outcome);
const team = (user: keyof Cast, text: Parameters<typeof run>[2], outcome?: Outcome) => run(user, 'team', text, outcome);
const cloudkey = (user: keyof Cast, text: Parameters<typeof run>[2], outcome?: Outcome) => run(user, 'cloudkey', text, outcome);
const roleTarget = (cast: Cast) => mention(cast.other);
/** People the team cases invite or remove, apart from the cast (a door resolves any mention of them). */
const newcomer = (name: string) => mention({ id: `${name}0000000000000000000000`.slice(0, 26), name });

const SUBCOMMAND_CASES: Readonly<Record<string, Cases>> = {
  'env help': { ok: env('owner', () => 'help'), refused: [] },
  'env presets': { ok: env('owner', () => 'presets'), refused: [env('owner', () => 'presets all', 'invalid')] },
  'env request': {
    ok: env('owner', () => 'request threat-hunting --ttl 2h'),
    refused: [env('owner', () => 'request no-such-preset', 'invalid'), env('owner', () => 'request threat-hunting --ttl -5h', 'invalid')],
  },
  'env list': { ok: env('owner', () => 'list'), refused: [env('other', () => 'list --all', 'denied'), env('owner', () => 'list mine', 'invalid')] },
  'env status': {
    ok: env('owner', async (cast, harness) => `status ${await harness.pendingPlan(cast.owner)}`),
    refused: [
      env('other', async (cast, harness) => `status ${await harness.pendingPlan(cast.owner)}`, 'denied'),
      env('owner', () => 'status env-zzzzzz', 'invalid'),
    ],
  },
  'env extend': {
    ok: env('owner', async (cast, harness) => `extend ${await harness.runningLab(cast.owner)} 1h`),
    refused: [
      env('other', async (cast, harness) => `extend ${await harness.runningLab(cast.owner)} 1h`, 'denied'),
      env('owner', async (cast, harness) => `extend ${await harness.runningLab(cast.owner)} soon`, 'invalid'),
    ],
  },
  'env destroy': {
    ok: env('owner', async (cast, harness) => `destroy ${await harness.runningLab(cast.owner)}`),
    refused: [env('other', async (cast, harness) => `destroy ${await harness.runningLab(cast.owner)}`, 'denied'), env('owner', () => 'destroy', 'invalid')],
  },
  'env role': {
    ok: env('admin', (cast) => `role ${roleTarget(cast)} approver`),
    refused: [env('owner', (cast) => `role ${roleTarget(cast)} admin`, 'denied'), env('admin', (cast) => `role ${roleTarget(cast)} overlord`, 'invalid')],
  },
  'env console': { ok: env('owner', () => 'console'), refused: [env('owner', () => 'console now', 'invalid')] },
  'team help': { ok: team('owner', () => 'help'), refused: [] },
  'team list': { ok: team('owner', () => 'list'), refused: [team('owner', () => 'list everyone', 'invalid')] },
  'team invite': {
    ok: team('admin', () => `invite ${newcomer('ivy')} approver`),
    refused: [team('owner', () => `invite ${newcomer('ivy')} approver`, 'denied'), team('admin', () => `invite ${newcomer('ivy')} overlord`, 'invalid')],
  },
  'team role': {
    ok: team('admin', (cast) => `role ${roleTarget(cast)} member`),
    refused: [team('admin', (cast) => `role ${mention(cast.admin)} member`, 'denied'), team('admin', (cast) => `role ${roleTarget(cast)} member`, 'invalid')],
  },
  'team remove': {
    ok: team('admin', () => `remove ${newcomer('leo')}`),
    refused: [team('approver', () => `remove ${newcomer('lou')}`, 'denied'), team('admin', () => `remove ${newcomer('leo')}`, 'invalid')],
  },
  'audit help': { ok: audit('admin', () => 'help'), refused: [] },
  'apikey help': { ok: apikey('owner', () => 'help'), refused: [] },
  'apikey create': {
    ok: apikey('owner', () => `create ci-${(keyCount += 1)} --scope write --expires 30d`),
    refused: [apikey('owner', () => 'create', 'invalid'), apikey('owner', () => 'create ci --scope admin', 'invalid'), apikey('owner', () => 'create ci --expires 5m', 'invalid')],
  },
  'apikey list': { ok: apikey('owner', () => 'list'), refused: [apikey('other', () => 'list --all', 'denied'), apikey('owner', () => 'list mine', 'invalid')] },
  'apikey revoke': {
    ok: apikey('owner', async (cast, harness) => `revoke ${(await ownerKey(cast, harness)).name}`),
    refused: [apikey('other', async (cast, harness) => `revoke ${(await ownerKey(cast, harness)).prefix}`, 'invalid'), apikey('owner', () => 'revoke', 'invalid')],
  },
  'audit export': { ok: audit('admin', () => 'export'), refused: [audit('owner', () => 'export', 'denied'), audit('admin', () => 'export --type nope', 'invalid')] },
  'audit verify': { ok: audit('admin', () => 'verify'), refused: [audit('approver', () => 'verify', 'denied'), audit('admin', () => 'verify --head 1', 'invalid')] },
  'audit head': { ok: audit('admin', () => 'head'), refused: [audit('owner', () => 'head', 'denied'), audit('admin', () => 'head now', 'invalid')] },
  'cloudkey help': { ok: cloudkey('owner', () => 'help'), refused: [] },
  'cloudkey list': { ok: cloudkey('admin', () => 'list'), refused: [cloudkey('owner', () => 'list', 'denied'), cloudkey('admin', () => 'list all', 'invalid')] },
  'cloudkey add': {
    ok: cloudkey('admin', () => 'add'),
    refused: [cloudkey('owner', () => 'add', 'denied'), cloudkey('admin', () => `add ${newPair().accessKeyId}`, 'invalid')],
  },
  'cloudkey rotate': {
    ok: cloudkey('admin', async (_cast, harness) => `rotate ${(await harness.cloudKey()).name}`),
    refused: [cloudkey('owner', async (_cast, harness) => `rotate ${(await harness.cloudKey()).name}`, 'denied'), cloudkey('admin', () => 'rotate', 'invalid')],
  },
  'cloudkey delete': {
    ok: cloudkey('admin', async (_cast, harness) => `delete ${(await harness.cloudKey()).name}`),
    refused: [cloudkey('owner', async (_cast, harness) => `delete ${(await harness.cloudKey()).name}`, 'denied'), cloudkey('admin', () => 'delete no-such-key', 'invalid')],
  },
  'cloudkey default': {
    ok: cloudkey('admin', async (_cast, harness) => `default ${(await harness.cloudKey()).name}`),
    refused: [cloudkey('owner', async (_cast, harness) => `default ${(await harness.cloudKey()).name}`, 'denied'), cloudkey('admin', () => 'default', 'invalid')],
  },
};

const act = (user: keyof Cast, actionId: ActionId | string, lab: 'pending' | 'running' | 'none', outcome: Outcome = 'ok'): Case => ({
  make: async (cast, harness) => {
    const value = lab === 'pending' ? await harness.pendingPlan(cast.owner) : lab === 'running' ? await harness.runningLab(cast.owner) : 'not-a-lab';
    return click(cast[user], actionId, value);
  },
  outcome,
});

/** A click about a cloud key: a fresh one, or the value given. */
const onKey = (user: keyof Cast, actionId: ActionId, outcome: Outcome = 'ok', value?: string): Case => ({
  make: async (cast, harness) => click(cast[user], actionId, value ?? (await harness.cloudKey()).id),
  outcome,
});

/** An answer to an invitation the admin has just sent `invitee`; `by` answers it (the invitee, or someone else). */
const answerInvitation = (actionId: ActionId, invitee: string, by: keyof Cast | 'invitee', outcome: Outcome = 'ok', value?: string): Case => ({
  make: async (cast, harness) => {
    const person = { platform: cast.admin.platform, id: `${invitee}0000000000000000000000`.slice(0, 26), name: invitee };
    const invitationId = await harness.pendingInvitation(cast.admin, person);
    return click(by === 'invitee' ? person : cast[by], actionId, value ?? invitationId);
  },
  outcome,
});

const ACTION_CASES: Readonly<Record<ActionId, Cases>> = {
  approve: { ok: act('approver', 'approve', 'pending'), refused: [act('owner', 'approve', 'pending', 'denied'), act('other', 'approve', 'pending', 'denied')] },
  reject: { ok: act('approver', 'reject', 'pending'), refused: [act('owner', 'reject', 'pending', 'denied')] },
  extend1h: { ok: act('owner', 'extend1h', 'running'), refused: [act('other', 'extend1h', 'running', 'denied')] },
  extend4h: { ok: act('owner', 'extend4h', 'running'), refused: [act('other', 'extend4h', 'running', 'denied')] },
  destroy: { ok: act('owner', 'destroy', 'running'), refused: [act('other', 'destroy', 'running', 'denied')] },
  destroyConfirm: { ok: act('admin', 'destroyConfirm', 'running'), refused: [act('other', 'destroyConfirm', 'running', 'denied')] },
  destroyCancel: { ok: act('owner', 'destroyCancel', 'running'), refused: [act('owner', 'destroyCancel', 'none', 'invalid')] },
  invitationAccept: {
    ok: answerInvitation('invitationAccept', 'ada', 'invitee'),
    refused: [answerInvitation('invitationAccept', 'ben', 'other', 'denied'), answerInvitation('invitationAccept', 'ben', 'invitee', 'invalid', 'inv-nope')],
  },
  invitationDecline: {
    ok: answerInvitation('invitationDecline', 'cy', 'invitee'),
    refused: [answerInvitation('invitationDecline', 'dee', 'owner', 'denied')],
  },
  cloudKeyDelete: { ok: onKey('admin', 'cloudKeyDelete'), refused: [onKey('owner', 'cloudKeyDelete', 'denied'), onKey('admin', 'cloudKeyDelete', 'invalid', 'key-none22')] },
  cloudKeyKeep: { ok: onKey('admin', 'cloudKeyKeep'), refused: [onKey('admin', 'cloudKeyKeep', 'invalid', 'not-a-key')] },
};

const answer = (user: keyof Cast, reason: string, outcome: Outcome = 'ok'): Case => ({
  make: async (cast, harness) => submit(cast[user], 'rejectReason', await harness.pendingPlan(cast.owner), reason),
  outcome,
});
let formNames = 0;
const keyForm = (user: keyof Cast, fields: () => Record<string, string>, outcome: Outcome = 'ok'): Case => ({
  make: async (cast) => submitForm(cast[user], 'cloudKeyAdd', 'new', fields()),
  outcome,
});
const newKeyFields = () => ({ name: `form-${(formNames += 1)}`, provider: 'aws', region: 'eu-west-1', ...newPair() });
const rotateForm = (user: keyof Cast, fields: () => Record<string, string>, outcome: Outcome = 'ok'): Case => ({
  make: async (cast, harness) => submitForm(cast[user], 'cloudKeyRotate', (await harness.cloudKey()).id, fields()),
  outcome,
});
const DIALOG_CASES: Readonly<Record<string, Cases>> = {
  rejectReason: { ok: answer('approver', 'not this quarter'), refused: [answer('approver', 'no', 'invalid'), answer('owner', 'mine anyway', 'denied')] },
  cloudKeyAdd: {
    ok: keyForm('admin', newKeyFields),
    refused: [keyForm('admin', () => ({ ...newKeyFields(), secretAccessKey: 'short' }), 'invalid'), keyForm('owner', newKeyFields, 'denied')],
  },
  cloudKeyRotate: {
    ok: rotateForm('admin', () => ({ ...newPair() })),
    refused: [rotateForm('admin', () => ({ accessKeyId: 'AKIA', secretAccessKey: '' }), 'invalid'), rotateForm('owner', () => ({ ...newPair() }), 'denied')],
  },
};

/** Things that route nowhere: each is refused as invalid and still audited once. */
const UNROUTED: readonly Case[] = [
  run('owner', 'env', () => 'teleport', 'invalid'),
  run('owner', 'audit', () => 'erase', 'invalid'),
  run('owner', 'nope', () => 'help', 'invalid'),
  { make: async (cast) => click(cast.owner, 'selfDestruct', 'env-aaaaaa'), outcome: 'invalid' },
  { make: async (cast) => submit(cast.owner, 'feedback', 'env-aaaaaa', 'hello'), outcome: 'invalid' },
];

const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = { env: ENV_SUBCOMMANDS, team: TEAM_SUBCOMMANDS, audit: AUDIT_SUBCOMMANDS, cloudkey: CLOUDKEY_SUBCOMMANDS, apikey: APIKEY_SUBCOMMANDS };

async function expectOneChatEntry(harness: CoverageHarness, cast: Cast, label: string, item: Case): Promise<void> {
  const invocation = await item.make(cast, harness);
  const { reply, chatEntries } = await harness.invoke(invocation);
  const where = `${cast.owner.platform} ${label} (${invocation.user.name})`;
  expect(chatEntries.map((row) => row.eventType), where).toEqual([invocation.kind === 'command' ? 'command.invoked' : 'action.clicked']);
  expect(reply.outcome, `${where}: ${reply.view.text}`).toBe(item.outcome);
  expect(chatEntries[0], where).toMatchObject({ outcome: item.outcome, actorId: invocation.user.id, platform: invocation.platform });
  await harness.drain();
}

describe('every command, sub-command, button and dialog writes exactly one chat entry, refusals too', () => {
  it('has an invocation case for every route of the routing tables', () => {
    expect(sorted(Object.keys(SUBCOMMANDS))).toEqual(sorted(COMMAND_NAMES));
    const routes = COMMAND_NAMES.flatMap((name) => SUBCOMMANDS[name]!.map((sub) => `${name} ${sub}`));
    expect(sorted(Object.keys(SUBCOMMAND_CASES))).toEqual(sorted(routes));
    expect(sorted(Object.keys(ACTION_CASES))).toEqual(sorted(ACTION_IDS));
    expect(sorted(Object.keys(DIALOG_CASES))).toEqual(sorted(DIALOG_CALLBACK_IDS));
    expect(Object.entries(SUBCOMMAND_CASES).filter(([, cases]) => cases.refused.length === 0).map(([route]) => route).sort()).toEqual(['apikey help', 'audit help', 'cloudkey help', 'env help', 'team help']);
  });

  for (const platform of PLATFORMS) {
    it(`on ${platform}`, async () => {
      const cast = CASTS[platform];
      for (const name of COMMAND_NAMES) {
        await expectOneChatEntry(h, cast, `/${name}`, run('owner', name, () => ''));
        for (const sub of SUBCOMMANDS[name]!) {
          const cases = SUBCOMMAND_CASES[`${name} ${sub}`]!;
          for (const item of [cases.ok, ...cases.refused]) await expectOneChatEntry(h, cast, `/${name} ${sub}`, item);
        }
      }
      for (const actionId of ACTION_IDS) {
        for (const item of [ACTION_CASES[actionId].ok, ...ACTION_CASES[actionId].refused]) await expectOneChatEntry(h, cast, `button ${actionId}`, item);
      }
      for (const callbackId of DIALOG_CALLBACK_IDS) {
        const cases = DIALOG_CASES[callbackId]!;
        for (const item of [cases.ok, ...cases.refused]) await expectOneChatEntry(h, cast, `dialog ${callbackId}`, item);
      }
      for (const item of UNROUTED) await expectOneChatEntry(h, cast, 'unrouted', item);
    }, 60_000);
  }
});

/** The audit events each job writes, over every outcome the scenarios drive it to. */
const JOB_EVENTS: Readonly<Record<JobName, readonly string[]>> = {
  deploy: ['deployment.started', 'deployment.completed', 'deployment.failed', 'destroy.initiated'],
  destroy: ['destroy.completed', 'destroy.failed'],
  remind: ['ttl.reminder_sent'],
  expire: ['ttl.expired', 'destroy.initiated'],
  'approval-expire': ['plan.expired'],
  notify: [],
  'invitation-expire': ['member.invitation_expired'],
  'invitation-notify': [],
  'audit-export': ['audit.exported'],
  reconcile: [],
  'audit-retention': ['audit.purged'],
  'audit-verify': ['audit.verified'],
  'audit-head': ['audit.head_published'],
};

/** Every path of the lifecycle and every job, on the inline queue: who acts is audited, and so is every outcome. */
async function driveLifecycles(): Promise<void> {
  const { slack, mattermost } = CASTS;
  // An invitation nobody answers expires (INVITATION_TTL is shorter than the approval timeout the clock moves past below).
  await h.pendingInvitation(slack.admin, { platform: 'slack', id: 'UNOANSWER', name: 'nora' });
  // Approved → deployed → reminded → extended → expired → destroyed (Mattermost).
  const full = await h.pendingPlan(mattermost.owner);
  await h.invoke(click(mattermost.approver, 'approve', full));
  await h.drain();
  await h.invoke(click(mattermost.owner, 'extend1h', full));
  const expiresAt = (await h.environment(full)).expiresAt!.getTime();
  h.clock.set(new Date(expiresAt - 2000));
  await h.advance(0);
  await h.advance(1000);
  await h.advance(1000);
  expect((await h.environment(full)).state).toBe('destroyed');

  // Rejected through the dialog (Slack); expired without a decision (Slack).
  const rejected = await h.pendingPlan(slack.owner);
  await h.invoke(click(slack.approver, 'reject', rejected));
  await h.invoke(submit(slack.approver, 'rejectReason', rejected, 'not this quarter'));
  const unattended = await h.pendingPlan(slack.owner);
  await h.advance(h.s.config.APPROVAL_TIMEOUT * 1000 + 1000);
  expect((await h.environment(unattended)).state).toBe('approval_expired');

  // A deploy that fails for good is cleaned up and ends deploy_failed.
  const failing = await h.submitRequest(slack.owner, 'quick-sandbox');
  h.provisioner.failDeploy.add(failing);
  await h.drain();
  expect((await h.environment(failing)).state).toBe('deploy_failed');

  // A destroy that fails for good ends destroy_failed; an admin destroys it again.
  const stuck = await h.runningLab(slack.owner);
  h.provisioner.failDestroy.add(stuck);
  await h.invoke(click(slack.owner, 'destroyConfirm', stuck));
  await h.drain();
  expect((await h.environment(stuck)).state).toBe('destroy_failed');
  h.provisioner.failDestroy.delete(stuck);
  await h.invoke(click(slack.admin, 'destroyConfirm', stuck));
  await h.drain();
  expect((await h.environment(stuck)).state).toBe('destroyed');

  // Roles, and the audit log's own jobs: on demand, then as the daily schedules add them.
  await h.invoke(command(slack.admin, 'env', `role ${mention(slack.other)} approver`));
  await h.invoke(command(slack.admin, 'audit', 'export'));
  await h.invoke(command(mattermost.admin, 'audit', 'verify'));
  await h.invoke(command(slack.admin, 'audit', 'head'));
  for (const name of ['reconcile', 'audit-retention', 'audit-verify', 'audit-head'] as const) await h.jobs.add(name, {}, { jobId: `daily-${name}` });
  await h.drain();

  // The web console: a sign-in link used, then refused when used again; a sign-out.
  await h.invoke(command(slack.owner, 'env', 'console'));
  const link = h.notifiers.slack.ofKind('dm').at(-1)!.view.text;
  const token = /\/sign-in\/([A-Za-z0-9_-]+)/.exec(link)![1]!;
  const { session } = await redeemSignInLink(h.s, { token, clientAddress: '127.0.0.1', requestId: 'console-in' });
  await expect(redeemSignInLink(h.s, { token, clientAddress: '127.0.0.1', requestId: 'console-again' })).rejects.toMatchObject({ code: 'sign_in_refused' });
  await signOut(h.s, session, { everywhere: true, requestId: 'console-out' });
  await drivePasskeys(slack);

  // API keys, and a request through the REST API made with one.
  await driveApi(slack);
}

/** A passkey added, used to sign in and as the admins' second factor, then removed, with a software authenticator. */
async function drivePasskeys(cast: Cast): Promise<void> {
  const rp = new URL(h.s.config.PUBLIC_URL!);
  const device = new SoftAuthenticator(rp.hostname, rp.origin);
  await h.invoke(command(cast.admin, 'env', 'console'));
  const token = /\/sign-in\/([A-Za-z0-9_-]+)/.exec(h.notifiers[cast.admin.platform].ofKind('dm').at(-1)!.view.text)![1]!;
  const { session: admin } = await redeemSignInLink(h.s, { token, clientAddress: '127.0.0.1', requestId: 'passkey-link' });
  const options = await passkeyRegistrationOptions(h.s, admin, { name: 'Coverage key' });
  const made = device.register({ challenge: options.challenge, userHandle: options.user.id });
  const added = await addPasskey(h.s, admin, { name: 'Coverage key', response: made.json, clientAddress: '127.0.0.1', requestId: 'passkey-add' });
  const mfa = await secondFactorOptions(h.s, admin);
  await completeSecondFactor(h.s, admin, { response: device.assert(made.passkey, { challenge: mfa.challenge }), clientAddress: '127.0.0.1', requestId: 'passkey-mfa' });
  const signIn = await passkeySignInOptions(h.s);
  await signInWithPasskey(h.s, { response: device.assert(made.passkey, { challenge: signIn.challenge }), clientAddress: '127.0.0.1', requestId: 'passkey-in' });
  await removePasskey(h.s, admin, { ref: added.ref, requestId: 'passkey-remove' });
}

async function driveApi(cast: Cast): Promise<void> {
  const created = await createApiKey(h.s, { actor: chatActor(cast.owner), name: 'coverage', scope: 'read', lifetimeSeconds: 86_400, requestId: 'coverage-key' });
  const redis = new Redis(TEST_REDIS_URL);
  const http = createHttpServer({ log: silentLogger });
  http.register(apiDoor({ s: h.s, redis }));
  try {
    const answer = await http.app.inject({ method: 'GET', url: '/api/v1/presets', headers: { authorization: `Bearer ${created.key}` } });
    expect(answer.statusCode).toBe(200);
  } finally {
    await http.close();
    redis.disconnect();
  }
  await revokeApiKey(h.s, { actor: chatActor(cast.owner), ref: 'coverage', requestId: 'coverage-revoke' });
}

describe('job outcomes and lifecycle transitions are audited', () => {
  beforeAll(async () => {
    await driveLifecycles();
  }, 60_000);

  it('binds every job of JOBS to a processor, and the scenarios ran every one', () => {
    expect(sorted(Object.keys(h.processors))).toEqual(sorted(JOB_NAMES));
    expect(sorted(Object.keys(JOB_EVENTS))).toEqual(sorted(JOB_NAMES));
    expect(JOB_NAMES.filter((name) => !h.runs.some((record) => record.name === name))).toEqual([]);
  });

  it('writes, for each job, the audit events of its outcomes', () => {
    const written = Object.fromEntries(JOB_NAMES.map((name) => [name, sorted(new Set(h.runs.filter((record) => record.name === name).flatMap((record) => record.events)))]));
    expect(written).toEqual(Object.fromEntries(JOB_NAMES.map((name) => [name, sorted(JOB_EVENTS[name])])));
    // Nothing failed that should have passed: the only failures are the simulated ones, which the workflows settle.
    expect(h.runs.filter((record) => record.failed)).toEqual([]);
  });

  it('makes every transition the workflows can make, each in a transaction that writes its audit event', async () => {
    const performable = new Set<string>();
    for (const site of facts.transitionSites) {
      for (const from of site.from ?? ENV_STATES) {
        for (const to of site.to ?? ENV_STATES) {
          if (site.from && site.to) expect(canTransition(from as EnvState, to as EnvState), `${site.at}: ${from} → ${to}`).toBe(true);
          if (canTransition(from as EnvState, to as EnvState)) performable.add(`${from} → ${to}`);
        }
      }
    }
    const trace = await h.trace();
    const changes = trace.filter((row) => row.kind === 'state');
    const made = new Set(changes.filter((row) => row.from_state !== null).map((row) => `${row.from_state} → ${row.to_state}`));
    expect(sorted(made)).toEqual(sorted(performable));
    const declared = Object.entries(TRANSITIONS).flatMap(([from, targets]) => targets.map((to) => `${from} → ${to}`));
    expect([...performable].filter((pair) => !declared.includes(pair))).toEqual([]);

    const unaudited = changes.filter(
      (change) => !trace.some((row) => row.kind === 'audit' && row.txid === change.txid && row.env_id === change.env_id && row.category === 'environments'),
    );
    expect(unaudited.map((row) => `${row.env_id}: ${row.from_state ?? 'new'} → ${row.to_state}`)).toEqual([]);
  });

  it('wrote every event the product can produce while it ran, and kept the chain intact throughout', async () => {
    const rows = await h.database.pool.query<{ event_type: string }>('select distinct event_type from audit_log');
    const written = new Set(rows.rows.map((row) => row.event_type));
    expect(PRODUCIBLE.filter((event) => !written.has(event))).toEqual([]);
    const verified = await h.database.pool.query<{ outcome: string }>(`select outcome from audit_log where event_type = 'audit.verified'`);
    expect(verified.rows.length).toBeGreaterThanOrEqual(2);
    expect(verified.rows.filter((row) => row.outcome !== 'ok')).toEqual([]);
  });
});
