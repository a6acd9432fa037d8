import { addSeconds } from 'date-fns';
import { sql, eq } from 'drizzle-orm';
import { actedBy } from '../src/audit/types.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import { formatDuration } from '../src/domain/durations.js';
import { describeState } from '../src/domain/lifecycle.js';
import { canActOnEnvironment } from '../src/domain/policy.js';
import { formatUtc } from '../src/domain/time.js';
import type { Actor } from '../src/domain/actor.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { lockEnvironment, ownerOf } from './environment-queries.js';
import { authorize } from './roles.js';
import { auditEnvironment, enqueueAfterCommit } from './state-change.js';
import { cancelTimers, scheduleFirstTimer } from './timers.js';

export interface ExtendInput {
  envId: string;
  actor: Actor;
  bySeconds: number;
  requestId: string;
  channelId?: string;
}

/** Moves a running environment's expiry later, never past its maximum lifetime (running since + the preset's max TTL). */
export async function extendEnvironment(s: Services, input: ExtendInput): Promise<EnvironmentRow> {
  const role = await authorize(s, input.actor, 'change');
  const { before, after } = await s.db.transaction(async (tx) => {
    const env = await lockEnvironment(tx, input.envId);
    if (!canActOnEnvironment(role, input.actor.user, ownerOf(env))) {
      throw new AppError('not_owner', `Only the owner of ${env.id} or an admin can extend it.`);
    }
    if (env.state !== 'running' || !env.expiresAt || !env.maxExpiresAt) {
      throw new AppError('not_running', `${env.id} is ${describeState(env.state)}: only running environments can be extended.`);
    }
    const requested = addSeconds(env.expiresAt, input.bySeconds);
    if (requested > env.maxExpiresAt) {
      const room = Math.max(0, Math.floor((env.maxExpiresAt.getTime() - env.expiresAt.getTime()) / 1000));
      throw new AppError(
        'ttl_over_max',
        `Extending ${env.id} by ${formatDuration(input.bySeconds)} would pass its maximum lifetime, which ends at ${formatUtc(env.maxExpiresAt)}.`,
        { hint: room > 0 ? `You can extend it by up to ${formatDuration(room)}.` : 'It is already at its maximum lifetime.' },
      );
    }
    const [updated] = await tx
      .update(environments)
      .set({ expiresAt: requested, version: sql`${environments.version} + 1`, updatedAt: s.clock.now() })
      .where(eq(environments.id, env.id))
      .returning();
    await auditEnvironment(s, tx, updated!, {
      eventType: 'ttl.extended',
      ...actedBy(input.actor, { by_seconds: input.bySeconds, from: env.expiresAt.toISOString(), to: requested.toISOString() }),
      channelId: input.channelId ?? null,
      requestId: input.requestId,
    });
    return { before: env, after: updated! };
  });
  await enqueueAfterCommit(s, after.id, [() => cancelTimers(s, after.id, before.expiresAt), () => scheduleFirstTimer(s, after)]);
  return after;
}
