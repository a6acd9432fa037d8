import { describe, expect, it } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import type { MentionedUser } from '../../src/chat/types.js';
import type { UserRef } from '../../src/domain/users.js';
import type { Services } from '../../src/services.js';
import { countActive } from '../../workflows/environment-queries.js';
import { writePlan } from '../../workflows/request.js';
import { roleOf } from '../../workflows/roles.js';
import {
  chatEntries,
  chatEntry,
  command,
  commandTestFile,
  domainEvents,
  environment,
  environmentCount,
  envIdIn,
  markRunning,
  mentioned,
  users,
} from '../support/command-kit.js';

const t = commandTestFile();

/** Runs a command and returns its reply with its one audit entry. */
async function run(user: UserRef, text: string, name = 'env', s: Services = t.kit.s, mentions: readonly MentionedUser[] = []) {
  const invocation = command(user, text, name, mentions);
  const reply = await handleInvocation(s, invocation);
  const entry = await chatEntry(t.database.db, invocation.requestId);
  expect(reply.outcome).toBe(entry.outcome);
  return { reply, entry, invocation };
}

async function requestLab(user: (typeof users)[keyof typeof users], text = 'request soc-platform'): Promise<string> {
  const { reply, entry } = await run(user, text);
  expect(entry.outcome).toBe('ok');
  return envIdIn(reply.view.text);
}

describe('/env help, presets and unknown input', () => {
  it('answers help and audits it as ok with the command text and actor', async () => {
    const { reply, entry, invocation } = await run(users.alice, 'help');
    expect(reply.view.text).toContain('/env request <preset>');
    expect(entry).toMatchObject({
      eventType: 'command.invoked',
      category: 'chat',
      outcome: 'ok',
      actorType: 'user',
      actorId: users.alice.id,
      actorName: 'alice',
      platform: 'slack',
      channelId: 'C0LABS',
      resourceId: null,
      requestId: invocation.requestId,
    });
    expect(entry.details).toEqual({ command: 'env', text: 'help', subcommand: 'help' });
  });

  it('answers presets with the catalog', async () => {
    const { reply, entry } = await run(users.alice, 'presets');
    expect(reply.view.text).toContain('quick-sandbox');
    expect(reply.view.text).toContain('≈ $9.60 for 8h');
    expect(entry.outcome).toBe('ok');
  });

  it('refuses an unknown sub-command with usage help, audited as invalid', async () => {
    const { reply, entry } = await run(users.alice, 'deploy soc-platform');
    expect(reply.view.text).toContain('There is no `/env deploy`');
    expect(reply.view.text).toContain('/env request <preset>');
    expect(entry.outcome).toBe('invalid');
    expect(entry.details).toMatchObject({ text: 'deploy soc-platform', error: 'unknown_subcommand' });
  });

  it('refuses an unknown slash command, audited as invalid', async () => {
    const { reply, entry } = await run(users.alice, 'anything', 'lab');
    expect(reply.view.text).toContain('/lab is not a command');
    expect(entry).toMatchObject({ outcome: 'invalid', details: { command: 'lab', error: 'unknown_command' } });
  });

  it('refuses 10 KB of text cleanly: invalid, the stored text clipped, nothing created', async () => {
    const before = await environmentCount(t.database.db);
    const { reply, entry } = await run(users.alice, `request soc-platform --name "${'a'.repeat(10_240)}"`);
    expect(reply.view.text).toContain('at most 2000');
    expect(entry.outcome).toBe('invalid');
    expect(String(entry.details.text).length).toBeLessThanOrEqual(2001);
    expect(await environmentCount(t.database.db)).toBe(before);
  });
});

describe('/env request', () => {
  it('creates a plan waiting for approval, audits the command with the env as resource, and enqueues the card', async () => {
    const { reply, entry } = await run(users.alice, 'request soc-platform --ttl 8h --name "Phishing triage"');
    const envId = envIdIn(reply.view.text);
    expect(reply.view.text).toContain('≈ $9.60 for 8h');
    expect(reply.view.text).toContain('approvals channel');
    expect(entry).toMatchObject({ outcome: 'ok', resourceType: 'environment', resourceId: envId, details: { subcommand: 'request' } });
    const env = await environment(t.database.db, envId);
    expect(env).toMatchObject({ state: 'pending_approval', ownerId: users.alice.id, name: 'Phishing triage', ttlSeconds: 8 * 3600 });
    expect(await domainEvents(t.database.db, envId)).toEqual(['plan.created']);
    expect(t.kit.jobs.added.some((job) => job.name === 'notify' && job.options.jobId === `notify-${envId}-plan-created`)).toBe(true);
  });

  it('approves a preset without approval by policy and enqueues its deploy', async () => {
    const envId = await requestLab(users.dave, 'request quick-sandbox');
    expect((await environment(t.database.db, envId)).state).toBe('approved');
    expect(await domainEvents(t.database.db, envId)).toEqual(['plan.created', 'plan.approved']);
    expect(t.kit.jobs.named('deploy').map((job) => job.options.jobId)).toContain(`deploy-${envId}`);
  });

  it.each([
    ['soc-platfrom', 'unknown_preset', 'There is no preset'],
    ['soc-platform --ttl abc', 'invalid_duration', 'not a duration'],
    ['soc-platform --ttl -5h', 'invalid_duration', 'not a duration'],
    ['soc-platform --ttl 90s', 'ttl_too_short', 'between 15m and 3d'],
    ['quick-sandbox --ttl 9h', 'ttl_too_long', 'between 15m and 8h'],
    ['soc-platform --ttl 1h --ttl 2h', 'duplicate_flag', 'more than once'],
    ['soc-platform --force', 'unknown_flag', 'not a flag'],
    ['', 'invalid_arguments', 'Which preset'],
    ['soc-platform --name "<!channel>"', 'invalid_name', 'not allowed'],
    ['"\'; drop table environments; --"', 'unknown_preset', 'There is no preset'],
  ])('refuses request %j as invalid (%s) and creates nothing', async (args, code, words) => {
    const before = await environmentCount(t.database.db);
    const { reply, entry } = await run(users.alice, `request ${args}`);
    expect(reply.view.text).toContain(words);
    expect(reply.view.tone).toBe('warning');
    expect(entry).toMatchObject({ outcome: 'invalid', resourceId: null, details: { error: code } });
    expect(await environmentCount(t.database.db)).toBe(before);
  });

  it('refuses a request over the quota as denied', async () => {
    const strict: Services = { ...t.kit.s, config: { ...t.kit.s.config, MAX_ACTIVE_PER_USER: 1 } };
    await run(users.erin, 'request threat-hunting', 'env', strict);
    const before = await environmentCount(t.database.db);
    const { reply, entry } = await run(users.erin, 'request threat-hunting', 'env', strict);
    expect(reply.view.text).toContain('the most allowed is 1');
    expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'quota_exceeded' } });
    expect(await environmentCount(t.database.db)).toBe(before);
  });

  it('writes a plan whose drawn id is taken under a new id, with its entry', async () => {
    const taken = await requestLab(users.bob, 'request threat-hunting');
    const before = await environmentCount(t.database.db);
    const now = t.kit.clock.now();
    const ida = { platform: 'slack', id: 'U0IDA', name: 'ida' } as const;
    const plan = await writePlan(t.database.db, { clock: t.kit.clock, maxActive: 3 }, {
      preset: { id: 'threat-hunting' },
      values: {
        id: taken, presetId: 'threat-hunting', name: null, platform: ida.platform, ownerId: ida.id, ownerName: ida.name, requestChannelId: 'C0LABS',
        state: 'pending_approval', ttlSeconds: 3600, requestedAt: now, approvalDeadline: now, updatedAt: now,
      },
      entry: { eventType: 'plan.created', actor: { type: 'user', id: ida.id, name: ida.name }, channelId: 'C0LABS', requestId: 'req-id-draw' },
    });
    expect(plan.id).not.toBe(taken);
    expect(plan.ownerId).toBe(ida.id);
    expect(await environmentCount(t.database.db)).toBe(before + 1);
    expect(await domainEvents(t.database.db, plan.id)).toEqual(['plan.created']);
    expect((await environment(t.database.db, taken)).ownerId).toBe(users.bob.id);
  });

  it('lets no more concurrent requests of one user through than the quota allows', async () => {
    const strict: Services = { ...t.kit.s, config: { ...t.kit.s.config, MAX_ACTIVE_PER_USER: 3 } };
    const quinn = { platform: 'slack', id: 'U0QUINN', name: 'quinn' } as const;
    const results = await Promise.all(Array.from({ length: 12 }, () => run(quinn, 'request soc-platform', 'env', strict)));
    const outcomes = results.map(({ entry }) => (entry.outcome === 'ok' ? 'ok' : String(entry.details.error)));
    expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome === 'quota_exceeded')).toHaveLength(9);
    expect(await countActive(strict, quinn)).toBe(3);
  });
});

describe('/env list', () => {
  it('lists the caller’s own environments with state and time left', async () => {
    const envId = await requestLab(users.alice, 'request ir-dfir-lab');
    await markRunning(t.kit, envId);
    const other = await requestLab(users.dave, 'request threat-hunting');
    const { reply, entry } = await run(users.alice, 'list');
    expect(reply.view.text).toContain(envId);
    expect(reply.view.text).toContain('1 day left');
    expect(reply.view.text).not.toContain(other);
    expect(entry.outcome).toBe('ok');
  });

  it('refuses --all to a member as denied, and gives everyone’s to an admin', async () => {
    const other = await requestLab(users.dave, 'request threat-hunting');
    const member = await run(users.alice, 'list --all');
    expect(member.reply.view.text).toContain('Only admins');
    expect(member.entry).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
    const admin = await run(users.carol, 'list --all');
    expect(admin.reply.view.text).toContain(other);
    expect(admin.reply.view.text).toContain('<@U0DAVE|dave>');
    expect(admin.entry.outcome).toBe('ok');
  });

  it('refuses stray arguments as invalid', async () => {
    const { entry, reply } = await run(users.alice, 'list mine');
    expect(reply.view.text).toContain('/env list [--all]');
    expect(entry.outcome).toBe('invalid');
  });
});

describe('/env status', () => {
  it('shows the owner their lab with endpoints and history, audited with the env as resource', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const { reply, entry } = await run(users.alice, `status ${envId.toUpperCase()}`);
    expect(reply.view.text).toContain(`https://${envId}.labs.example/elastic`);
    expect(reply.view.text).toContain('plan.created');
    expect(reply.view.blocks.some((block) => block.kind === 'actions')).toBe(true);
    expect(entry).toMatchObject({ outcome: 'ok', resourceId: envId });
  });

  it('shows any lab to approvers and admins, and refuses other members as denied', async () => {
    const envId = await requestLab(users.alice);
    expect((await run(users.bob, `status ${envId}`)).entry.outcome).toBe('ok');
    expect((await run(users.carol, `status ${envId}`)).entry.outcome).toBe('ok');
    const { reply, entry } = await run(users.dave, `status ${envId}`);
    expect(reply.view.text).toContain('belongs to someone else');
    expect(reply.view.text).not.toContain('plan.created');
    expect(entry).toMatchObject({ outcome: 'denied', resourceId: envId });
  });

  it('shows the provisioner\'s live outputs, and the recorded endpoints when it cannot answer in time', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const provisioner = t.kit.s.provisioner;
    try {
      t.kit.s.provisioner = { ...provisioner, outputs: async () => ({ elastic: 'https://live.example/kibana' }) };
      expect((await run(users.alice, `status ${envId}`)).reply.view.text).toContain('https://live.example/kibana');
      t.kit.s.provisioner = { ...provisioner, outputs: () => new Promise(() => undefined) };
      // The provisioner never answers: the reply comes because the status stops waiting for it.
      const slow = await run(users.alice, `status ${envId}`);
      expect(slow.reply.view.text).toContain(`https://${envId}.labs.example/elastic`);
      t.kit.s.provisioner = { ...provisioner, outputs: () => Promise.reject(new Error('stack gone')) };
      expect((await run(users.alice, `status ${envId}`)).reply.view.text).toContain(`https://${envId}.labs.example/elastic`);
    } finally {
      t.kit.s.provisioner = provisioner;
    }
  });

  it('refuses an unknown env id as invalid, and a malformed one with how ids look', async () => {
    const missing = await run(users.alice, 'status env-zzzzzz');
    expect(missing.reply.view.text).toContain('There is no environment env-zzzzzz');
    expect(missing.entry).toMatchObject({ outcome: 'invalid', resourceId: 'env-zzzzzz', details: { error: 'not_found' } });
    const malformed = await run(users.alice, 'status lab-1');
    expect(malformed.reply.view.text).toContain('env-7k2p9q');
    expect(malformed.entry).toMatchObject({ outcome: 'invalid', resourceId: null, details: { error: 'invalid_env_id' } });
  });
});

describe('/env extend', () => {
  it('extends a running lab and says until when', async () => {
    const envId = await requestLab(users.alice);
    const running = await markRunning(t.kit, envId);
    const { reply, entry } = await run(users.alice, `extend ${envId} 2h`);
    expect(reply.view.text).toContain('by 2h');
    expect(entry).toMatchObject({ outcome: 'ok', resourceId: envId });
    const env = await environment(t.database.db, envId);
    expect(env.expiresAt!.getTime() - running.expiresAt!.getTime()).toBe(2 * 3600_000);
    expect((await domainEvents(t.database.db, envId)).at(-1)).toBe('ttl.extended');
  });

  it('refuses past the preset maximum with the limit, as invalid, and changes nothing', async () => {
    const envId = await requestLab(users.alice);
    const running = await markRunning(t.kit, envId);
    const { reply, entry } = await run(users.alice, `extend ${envId} 3d`);
    expect(reply.view.text).toContain('maximum lifetime');
    expect(reply.view.text).toContain('You can extend it by up to 2d16h');
    expect(entry).toMatchObject({ outcome: 'invalid', details: { error: 'ttl_over_max' } });
    expect((await environment(t.database.db, envId)).expiresAt).toEqual(running.expiresAt);
  });

  it('refuses someone else’s lab as denied, a lab not running and a bad duration as invalid', async () => {
    const envId = await requestLab(users.alice);
    expect((await run(users.alice, `extend ${envId} 1h`)).entry).toMatchObject({ outcome: 'invalid', details: { error: 'not_running' } });
    await markRunning(t.kit, envId);
    expect((await run(users.dave, `extend ${envId} 1h`)).entry).toMatchObject({ outcome: 'denied', details: { error: 'not_owner' } });
    expect((await run(users.alice, `extend ${envId} soon`)).entry).toMatchObject({ outcome: 'invalid', details: { error: 'invalid_duration' } });
    expect((await run(users.alice, `extend ${envId}`)).reply.view.text).toContain('By how much');
  });
});

describe('/env destroy', () => {
  it('asks for confirmation with Destroy now / Cancel and destroys nothing', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const destroyJobs = t.kit.jobs.named('destroy').length;
    const { reply, entry } = await run(users.alice, `destroy ${envId}`);
    const buttons = reply.view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
    expect(buttons.map((button) => [button.actionId, button.value])).toEqual([['destroyConfirm', envId], ['destroyCancel', envId]]);
    expect(entry).toMatchObject({ outcome: 'ok', resourceId: envId });
    expect((await environment(t.database.db, envId)).state).toBe('running');
    expect(t.kit.jobs.named('destroy')).toHaveLength(destroyJobs);
  });

  it('lets an admin ask to destroy anyone’s lab but refuses another member as denied', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    expect((await run(users.carol, `destroy ${envId}`)).entry.outcome).toBe('ok');
    const { reply, entry } = await run(users.dave, `destroy ${envId}`);
    expect(reply.view.text).toContain('only its owner or an admin');
    expect(reply.view.blocks.some((block) => block.kind === 'actions')).toBe(false);
    expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'not_owner' } });
  });

  it('refuses a lab that cannot be destroyed now as invalid', async () => {
    const envId = await requestLab(users.alice);
    const { reply, entry } = await run(users.alice, `destroy ${envId}`);
    expect(reply.view.text).toContain('pending approval');
    expect(entry).toMatchObject({ outcome: 'invalid', details: { error: 'not_destroyable' } });
  });
});

describe('/env role', () => {
  const dave = mentioned(users.dave);
  const bob = mentioned(users.bob);

  it('lets an admin set the role of a user the door resolved, writing member.role_changed', async () => {
    const { reply, entry } = await run(users.carol, `role ${dave.token} approver`, 'env', t.kit.s, [dave.user]);
    expect(reply.view.text).toContain('is now approver (was member)');
    expect(entry).toMatchObject({ outcome: 'ok', resourceType: 'member', resourceId: `slack:${users.dave.id}` });
    expect(await roleOf(t.kit.s, users.dave)).toBe('approver');
    await run(users.carol, `role ${dave.token} member`, 'env', t.kit.s, [dave.user]);
    expect(await roleOf(t.kit.s, users.dave)).toBe('member');
  });

  it('refuses a non-admin as denied and leaves the role alone', async () => {
    const { reply, entry } = await run(users.bob, `role ${bob.token} admin`, 'env', t.kit.s, [bob.user]);
    expect(reply.view.text).toContain('Only admins can invite people, change roles and remove people');
    expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
    expect(await roleOf(t.kit.s, users.bob)).toBe('approver');
  });

  it('refuses a mention the door did not resolve as invalid, on any platform, and changes nothing', async () => {
    for (const [user, text] of [[users.mallory, 'role @alice admin'], [users.carol, `role ${dave.token} admin`]] as const) {
      const { reply, entry } = await run(user, text);
      expect(reply.view.text).toContain('is not someone this chat knows');
      expect(entry).toMatchObject({ outcome: 'invalid', platform: user.platform, details: { error: 'unknown_user' } });
    }
    expect(await roleOf(t.kit.s, users.dave)).toBe('member');
  });

  it('refuses a bot and an unknown role as invalid', async () => {
    const robot = { id: 'B0ROBOT', name: 'robot', bot: true };
    expect((await run(users.carol, 'role <@B0ROBOT|robot> approver', 'env', t.kit.s, [robot])).entry.details).toMatchObject({ error: 'bot_user' });
    expect((await run(users.carol, `role ${dave.token} owner`, 'env', t.kit.s, [dave.user])).entry.details).toMatchObject({ error: 'invalid_role' });
  });
});

describe('audit entries', () => {
  it('writes exactly one chat entry per command, whatever its outcome', async () => {
    for (const text of ['help', 'nope', 'request soc-platform --ttl 90s', 'list --all', 'status env-zzzzzz']) {
      const invocation = command(users.alice, text);
      await handleInvocation(t.kit.s, invocation);
      expect(await chatEntries(t.database.db, invocation.requestId)).toHaveLength(1);
    }
  });
});
