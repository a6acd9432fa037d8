import { eq } from 'drizzle-orm';
import { reminderView } from '../blocks/views/lifecycle-notices.js';
import { systemActor } from '../src/audit/types.js';
import { environments } from '../src/db/schema/environments.js';
import { remindersSent } from '../src/db/schema/reminders.js';
import type { JobPayload } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { presetOf } from './deploy.js';
import { auditEnvironment } from './state-change.js';
import { nextTimer, offsetsUpTo } from './timers.js';

/**
 * Sends one reminder DM, exactly once per (environment, offset, expiry): the row in reminders_sent is written in the same
 * transaction that sends the DM and writes the audit entry, so a failed DM is retried and a sent one is never repeated.
 * Reminders for an expiry that changed (extension) or an environment no longer running are dropped. A lab keeps one
 * timer in the queue: before the reminder is claimed, the next one (a later reminder, or the expiry) is added, so it is
 * in Redis whatever becomes of this one; a retry adds it again under the same id, which is a no-op.
 */
export async function runRemind(s: Services, payload: JobPayload<'remind'>): Promise<void> {
  const expiresAt = new Date(payload.expiresAt);
  await s.db.transaction(async (tx) => {
    const [env] = await tx.select().from(environments).where(eq(environments.id, payload.envId));
    if (env?.state !== 'running' || env.expiresAt?.getTime() !== expiresAt.getTime()) return;
    const next = nextTimer(env, offsetsUpTo(payload.offsetSeconds, s.config.REMINDER_OFFSETS), s.config.REMINDER_OFFSETS, s.clock.now());
    if (next) await s.jobs.addMany([next]);
    const [claimed] = await tx
      .insert(remindersSent)
      .values({ envId: env.id, offsetSeconds: payload.offsetSeconds, expiresAt, sentAt: s.clock.now() })
      .onConflictDoNothing()
      .returning();
    if (!claimed) return;
    await s.notifiers.get(env.platform).dm(env.ownerId, reminderView(env, presetOf(s, env), payload.offsetSeconds));
    await auditEnvironment(s, tx, env, {
      eventType: 'ttl.reminder_sent',
      actor: systemActor('timer'),
      details: { offset_seconds: payload.offsetSeconds, expires_at: payload.expiresAt },
    });
  });
}
