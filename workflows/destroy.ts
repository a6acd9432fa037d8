import { userActor } from '../src/audit/types.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import { describeState, type EnvState } from '../src/domain/lifecycle.js';
import { canActOnEnvironment } from '../src/domain/policy.js';
import type { UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { lockEnvironment, ownerOf } from './environment-queries.js';
import { roleOf } from './roles.js';
import { auditEnvironment, enqueueAfterCommit, transition } from './state-change.js';
import { cancelTimers } from './timers.js';

export interface DestroyInput {
  envId: string;
  actor: UserRef;
  requestId: string;
  channelId?: string;
}

/** States a person can destroy from: an environment being deployed or running, or one whose destroy failed (try again). */
const DESTROYABLE: readonly EnvState[] = ['deploying', 'running', 'destroy_failed'];

/** The owner or an admin starts a destroy; the destroy job does the work. */
export async function requestDestroy(s: Services, input: DestroyInput): Promise<EnvironmentRow> {
  const role = await roleOf(s, input.actor);
  const env = await s.db.transaction(async (tx) => {
    const current = await lockEnvironment(tx, input.envId);
    if (!canActOnEnvironment(role, input.actor, ownerOf(current))) {
      throw new AppError('not_owner', `Only the owner of ${current.id} or an admin can destroy it.`);
    }
    if (!DESTROYABLE.includes(current.state)) {
      throw new AppError('not_destroyable', notDestroyableMessage(current));
    }
    const isOwner = current.ownerId === input.actor.id && current.platform === input.actor.platform;
    const destroying = await transition(s, tx, current.id, current.state, 'destroying', {
      destroyReason: isOwner ? 'owner' : 'admin',
    });
    await auditEnvironment(s, tx, destroying!, {
      eventType: 'destroy.initiated',
      actor: userActor(input.actor),
      channelId: input.channelId ?? null,
      requestId: input.requestId,
      details: { reason: isOwner ? 'owner' : 'admin', from_state: current.state },
    });
    return destroying!;
  });
  await startDestroyJob(s, env);
  return env;
}

/** Enqueues the destroy job (replacing a finished one of the same id, as after a failed destroy) and drops stale timers. */
export async function startDestroyJob(s: Services, env: EnvironmentRow): Promise<void> {
  await enqueueAfterCommit(s, env.id, [
    () => s.jobs.remove('destroy', jobIds.destroy(env.id)),
    () => s.jobs.add('destroy', { envId: env.id }, { jobId: jobIds.destroy(env.id) }),
    () => cancelTimers(s, env.id, env.expiresAt),
  ]);
}

function notDestroyableMessage(env: EnvironmentRow): string {
  switch (env.state) {
    case 'pending_approval':
    case 'approved':
      return `${env.id} is ${describeState(env.state)} and holds no resources yet; it will be destroyed automatically if it is not approved.`;
    case 'destroying':
      return `${env.id} is already being destroyed.`;
    default:
      return `${env.id} is ${describeState(env.state)}: there is nothing left to destroy.`;
  }
}
