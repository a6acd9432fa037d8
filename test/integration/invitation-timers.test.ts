import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { invitations } from '../../src/db/schema/invitations.js';
import { chatActor } from '../../src/domain/actor.js';
import { jobIds } from '../../src/queue/jobs.js';
import { invite } from '../../workflows/invitations.js';
import { runReconcile } from '../../workflows/reconcile.js';
import { roleOf } from '../../workflows/roles.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';

/**
 * An invitation's expiry is a delayed job, but Postgres is the truth: with Redis wiped (FLUSHALL) and no worker
 * running at the expiry, the reconciler brings the job back and the invitation expires once, with its card edited
 * and its inviter told.
 */

let redis: PrivateRedis;
let t: TestServices;
beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createTestServices({ redisUrl: redis.url, settings: { INVITATION_TTL: '2s' } });
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

const invitationOf = async (id: string) => (await t.s.db.select().from(invitations).where(eq(invitations.id, id)))[0]!;

describe('Redis wiped with invitations pending', () => {
  it('expires an invitation whose job was lost, exactly once, and keeps a later one’s job', async () => {
    const workers = await t.startWorkers();
    const target = { platform: 'slack', id: 'U0DORA', name: 'dora' } as const;
    const { invitation } = await invite(t.s, { actor: chatActor(USERS.admin), target, role: 'approver', requestId: 'r-invite' });
    const card = await t.notifier.waitFor((call) => call.kind === 'dm' && call.userId === target.id);
    expect(card.kind === 'dm' && card.view.blocks.some((block) => block.kind === 'actions')).toBe(true);
    expect(await t.s.jobs.has('invitation-expire', jobIds.invitationExpire(invitation.id))).toBe(true);

    await workers.stop(2000);
    await redis.flushAll();
    expect(await t.s.jobs.has('invitation-expire', jobIds.invitationExpire(invitation.id))).toBe(false);
    // Its expiry passes while Redis is empty and no worker runs.
    await eventually(async () => (Date.now() > invitation.expiresAt.getTime() + 200 ? true : undefined), 5000, 'the invitation to be overdue');
    expect((await invitationOf(invitation.id)).state).toBe('pending');

    await t.startWorkers();
    const report = await runReconcile(t.s);
    expect(report.restored['invitation-expire']).toBe(1);
    await eventually(async () => ((await invitationOf(invitation.id)).announcedAt ? true : undefined), 15_000, 'the expiry announced');
    expect((await invitationOf(invitation.id)).state).toBe('expired');
    const expired = await t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'member.invitation_expired'), eq(auditLog.resourceId, `slack:${target.id}`)));
    expect(expired).toHaveLength(1);
    const edited = await t.notifier.waitFor((call) => call.kind === 'update' && call.view.text.includes('expired'));
    expect(edited.kind === 'update' && edited.message.messageId).toBe(card.kind === 'dm' ? card.ref.messageId : '');
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.userId === USERS.admin.id && call.view.text.includes('expired'));
    expect(await roleOf(t.s, target)).toBe('member');

    // A second pass finds nothing to restore: a closed invitation needs no job.
    const again = await runReconcile(t.s);
    expect(again.restored['invitation-expire'] ?? 0).toBe(0);
    expect(again.restored['invitation-notify'] ?? 0).toBe(0);
  });

  it('restores the job of an invitation still pending, for its own expiry', async () => {
    const target = { platform: 'slack', id: 'U0EVAN', name: 'evan' } as const;
    const later = await createTestServices({ redisUrl: redis.url, settings: { INVITATION_TTL: '1h' } });
    try {
      const { invitation } = await invite(later.s, { actor: chatActor(USERS.admin), target, role: 'approver', requestId: 'r-later' });
      await redis.flushAll();
      const report = await runReconcile(later.s);
      expect(report.restored['invitation-expire']).toBe(1);
      expect(await later.s.jobs.has('invitation-expire', jobIds.invitationExpire(invitation.id))).toBe(true);
      expect((await later.s.db.select().from(invitations).where(eq(invitations.id, invitation.id)))[0]!.state).toBe('pending');
    } finally {
      await later.close();
    }
  });
});
