import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import type { Invocation } from '../../src/chat/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { decisions } from '../../src/db/schema/decisions.js';
import {
  chatEntries,
  chatEntry,
  click,
  command,
  commandTestFile,
  domainEvents,
  environment,
  envIdIn,
  markRunning,
  submitReason,
  users,
} from '../support/command-kit.js';

const t = commandTestFile();

type User = (typeof users)[keyof typeof users];

async function handle(invocation: Invocation) {
  const reply = await handleInvocation(t.kit.s, invocation);
  const entry = await chatEntry(t.database.db, invocation.requestId);
  expect(reply.outcome).toBe(entry.outcome);
  return { reply, entry };
}

async function requestLab(user: User, preset = 'soc-platform'): Promise<string> {
  const reply = await handleInvocation(t.kit.s, command(user, `request ${preset}`));
  return envIdIn(reply.view.text);
}

describe('Approve', () => {
  it('approves as an approver: state, decision, plan.approved and an ok action.clicked about the env', async () => {
    const envId = await requestLab(users.alice);
    const { reply, entry } = await handle(click(users.bob, 'approve', envId));
    expect(reply.view.text).toContain(`You approved \`${envId}\``);
    expect(entry).toMatchObject({
      eventType: 'action.clicked',
      outcome: 'ok',
      actorId: users.bob.id,
      resourceType: 'environment',
      resourceId: envId,
      details: { actionId: 'approve', value: envId },
    });
    expect((await environment(t.database.db, envId)).state).toBe('approved');
    expect(await domainEvents(t.database.db, envId)).toEqual(['plan.created', 'plan.approved']);
    expect(t.kit.jobs.named('deploy').map((job) => job.options.jobId)).toContain(`deploy-${envId}`);
  });

  it('refuses a member as denied and the requester approving their own plan as denied', async () => {
    const envId = await requestLab(users.erin);
    const member = await handle(click(users.alice, 'approve', envId));
    expect(member.reply.view.text).toContain('Only approvers and admins');
    expect(member.entry).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
    const self = await handle(click(users.erin, 'approve', envId));
    expect(self.reply.view.text).toContain('your own request');
    expect(self.entry).toMatchObject({ outcome: 'denied', details: { error: 'self_approval' } });
    expect((await environment(t.database.db, envId)).state).toBe('pending_approval');
  });

  it('tells a late approver who decided, as invalid', async () => {
    const envId = await requestLab(users.alice);
    await handle(click(users.bob, 'approve', envId));
    const late = await handle(click(users.carol, 'approve', envId));
    expect(late.reply.view.text).toContain('already approved by bob');
    expect(late.entry).toMatchObject({ outcome: 'invalid', details: { error: 'already_decided' } });
  });

  it('judges by the verified user, whatever the button says: 20 concurrent clicks give one approval and 20 entries', async () => {
    const envId = await requestLab(users.alice);
    const clicks = Array.from({ length: 20 }, (_, index) => click(index % 2 === 0 ? users.bob : users.carol, 'approve', envId));
    const replies = await Promise.all(clicks.map((invocation) => handleInvocation(t.kit.s, invocation)));
    const entries = (await Promise.all(clicks.map((invocation) => chatEntries(t.database.db, invocation.requestId)))).flat();
    expect(entries).toHaveLength(20);
    expect(entries.filter((entry) => entry.outcome === 'ok')).toHaveLength(1);
    expect(entries.filter((entry) => entry.outcome === 'invalid')).toHaveLength(19);
    expect(replies.filter((reply) => reply.view.text.includes('You approved'))).toHaveLength(1);
    expect(t.kit.jobs.named('deploy').filter((job) => job.options.jobId === `deploy-${envId}`)).toHaveLength(1);
    expect(await domainEvents(t.database.db, envId)).toEqual(['plan.created', 'plan.approved']);
  });
});

describe('Reject and its reason dialog', () => {
  it('opens the reason dialog for an approver, changing nothing yet', async () => {
    const envId = await requestLab(users.alice);
    const { reply, entry } = await handle(click(users.bob, 'reject', envId));
    expect(reply.openDialog).toMatchObject({ callbackId: 'rejectReason', value: envId });
    expect(reply.openDialog?.fields[0]).toMatchObject({ name: 'reason', minLength: 3, maxLength: 500 });
    expect(reply.view).toEqual({ text: '', blocks: [] });
    expect(entry).toMatchObject({ outcome: 'ok', resourceId: envId, details: { actionId: 'reject' } });
    expect((await environment(t.database.db, envId)).state).toBe('pending_approval');
  });

  it('explains a refusal at once instead of opening the dialog: member, own request, already decided', async () => {
    const envId = await requestLab(users.erin);
    const member = await handle(click(users.dave, 'reject', envId));
    expect(member.reply.openDialog).toBeUndefined();
    expect(member.reply.view.text).toContain('Only approvers and admins');
    expect(member.entry.outcome).toBe('denied');
    const self = await handle(click(users.erin, 'reject', envId));
    expect(self.reply.openDialog).toBeUndefined();
    expect(self.entry).toMatchObject({ outcome: 'denied', details: { error: 'self_approval' } });
    await handle(click(users.bob, 'approve', envId));
    const decided = await handle(click(users.carol, 'reject', envId));
    expect(decided.reply.openDialog).toBeUndefined();
    expect(decided.reply.view.text).toContain('is no longer waiting for a decision: it is approved');
    expect(decided.entry).toMatchObject({ outcome: 'invalid', details: { error: 'already_decided' } });
  });

  it('rejects on submission with the reason, auditing the submission as action.clicked', async () => {
    const envId = await requestLab(users.alice);
    const { reply, entry } = await handle(submitReason(users.bob, envId, 'No budget left this quarter'));
    expect(reply.view.text).toContain(`You rejected \`${envId}\``);
    expect(entry).toMatchObject({
      eventType: 'action.clicked',
      outcome: 'ok',
      resourceId: envId,
      details: { callbackId: 'rejectReason', value: envId, reason: 'No budget left this quarter' },
    });
    expect((await environment(t.database.db, envId)).state).toBe('rejected');
    const [decision] = await t.database.db.select().from(decisions).where(eq(decisions.envId, envId));
    expect(decision).toMatchObject({ outcome: 'rejected', deciderId: users.bob.id, reason: 'No budget left this quarter' });
  });

  it('refuses a missing or too short reason as invalid and leaves the plan pending', async () => {
    const envId = await requestLab(users.alice);
    for (const reason of [undefined, '  ', 'no']) {
      const { reply, entry } = await handle(submitReason(users.bob, envId, reason));
      expect(reply.view.text).toContain('at least 3 characters');
      expect(entry).toMatchObject({ outcome: 'invalid', details: { error: 'reason_required' } });
    }
    expect((await environment(t.database.db, envId)).state).toBe('pending_approval');
  });

  it('refuses a submission by someone who may not decide, even though the dialog was never theirs', async () => {
    const envId = await requestLab(users.alice);
    const { entry } = await handle(submitReason(users.dave, envId, 'I do not like it'));
    expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
    expect((await environment(t.database.db, envId)).state).toBe('pending_approval');
  });

  it('refuses an unknown dialog and a malformed value as invalid', async () => {
    const unknown = await handle(submitReason(users.bob, 'env-7k2p9q', 'why not', 'somethingElse'));
    expect(unknown.entry).toMatchObject({ outcome: 'invalid', details: { error: 'unknown_dialog' } });
    const malformed = await handle(submitReason(users.bob, 'U0ALICE', 'why not'));
    expect(malformed.entry).toMatchObject({ outcome: 'invalid', resourceId: null, details: { error: 'invalid_env_id' } });
  });
});

describe('Extend buttons', () => {
  it('extends by 1h and by 4h', async () => {
    const envId = await requestLab(users.alice);
    const running = await markRunning(t.kit, envId);
    const one = await handle(click(users.alice, 'extend1h', envId));
    expect(one.reply.view.text).toContain('by 1h');
    expect(one.entry).toMatchObject({ outcome: 'ok', resourceId: envId, details: { actionId: 'extend1h' } });
    await handle(click(users.alice, 'extend4h', envId));
    const env = await environment(t.database.db, envId);
    expect(env.expiresAt!.getTime() - running.expiresAt!.getTime()).toBe(5 * 3600_000);
  });

  it('refuses another member’s click as denied, and past the maximum as invalid with the limit shown', async () => {
    const envId = await requestLab(users.alice, 'quick-sandbox');
    await markRunning(t.kit, envId);
    expect((await handle(click(users.dave, 'extend1h', envId))).entry).toMatchObject({ outcome: 'denied', details: { error: 'not_owner' } });
    await handle(click(users.alice, 'extend4h', envId));
    const over = await handle(click(users.alice, 'extend4h', envId));
    expect(over.reply.view.text).toContain('maximum lifetime');
    expect(over.reply.view.text).toContain('You can extend it by up to 2h');
    expect(over.entry).toMatchObject({ outcome: 'invalid', details: { error: 'ttl_over_max' } });
  });
});

describe('Destroy, Destroy now and Cancel', () => {
  it('Destroy shows the confirmation; Destroy now starts the destroy and replaces the confirmation', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const ask = await handle(click(users.alice, 'destroy', envId));
    expect(ask.reply.view.text).toContain(`Destroy \`${envId}\``);
    expect(ask.entry.outcome).toBe('ok');
    expect((await environment(t.database.db, envId)).state).toBe('running');

    const confirm = await handle(click(users.alice, 'destroyConfirm', envId));
    expect(confirm.reply.replaceOriginal?.text).toContain(`Destroying \`${envId}\``);
    expect(confirm.reply.view).toEqual({ text: '', blocks: [] });
    expect(confirm.entry).toMatchObject({ outcome: 'ok', resourceId: envId, details: { actionId: 'destroyConfirm' } });
    expect((await environment(t.database.db, envId)).state).toBe('destroying');
    expect(t.kit.jobs.named('destroy').map((job) => job.options.jobId)).toContain(`destroy-${envId}`);
    expect((await domainEvents(t.database.db, envId)).at(-1)).toBe('destroy.initiated');

    const again = await handle(click(users.alice, 'destroyConfirm', envId));
    expect(again.reply.replaceOriginal).toBeUndefined();
    expect(again.reply.view.text).toContain('already being destroyed');
    expect(again.entry).toMatchObject({ outcome: 'invalid', details: { error: 'not_destroyable' } });
  });

  it('Cancel keeps the lab and replaces the confirmation', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const { reply, entry } = await handle(click(users.alice, 'destroyCancel', envId));
    expect(reply.replaceOriginal?.text).toContain(`Kept \`${envId}\``);
    expect(entry).toMatchObject({ outcome: 'ok', details: { actionId: 'destroyCancel' } });
    expect((await environment(t.database.db, envId)).state).toBe('running');
  });

  it('refuses Destroy now from someone else as denied, whatever the button value claims', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    const { reply, entry } = await handle(click(users.dave, 'destroyConfirm', envId));
    expect(reply.replaceOriginal).toBeUndefined();
    expect(entry).toMatchObject({ outcome: 'denied', actorId: users.dave.id, details: { error: 'not_owner' } });
    expect((await environment(t.database.db, envId)).state).toBe('running');
  });

  it('lets an admin destroy anyone’s lab', async () => {
    const envId = await requestLab(users.alice);
    await markRunning(t.kit, envId);
    expect((await handle(click(users.carol, 'destroyConfirm', envId))).entry.outcome).toBe('ok');
    expect((await environment(t.database.db, envId)).destroyReason).toBe('admin');
  });
});

describe('malformed clicks', () => {
  it('refuses an unknown action id and a value that is not an env id, as invalid', async () => {
    const unknown = await handle(click(users.bob, 'approve_all', 'env-7k2p9q'));
    expect(unknown.reply.view.text).toContain('not one this bot knows');
    expect(unknown.entry).toMatchObject({ outcome: 'invalid', resourceId: null, details: { actionId: 'approve_all', error: 'unknown_action' } });
    const forged = await handle(click(users.bob, 'approve', '{"user":"U0CAROL","role":"admin"}'));
    expect(forged.entry).toMatchObject({ outcome: 'invalid', resourceId: null, details: { error: 'invalid_env_id' } });
  });

  it('refuses a click on an environment that does not exist as invalid, naming it', async () => {
    const { reply, entry } = await handle(click(users.bob, 'approve', 'env-zzzzzz'));
    expect(reply.view.text).toContain('There is no environment env-zzzzzz');
    expect(entry).toMatchObject({ outcome: 'invalid', resourceId: 'env-zzzzzz', details: { error: 'not_found' } });
  });
});

describe('the audit log after all of the above', () => {
  it('is one intact hash chain, concurrent clicks included', async () => {
    const result = await verifyChain(t.database.db);
    expect(result).toMatchObject({ intact: true });
    expect(result.checked).toBeGreaterThan(50);
  });
});
