import { actedBy } from '../src/audit/types.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import type { Actor } from '../src/domain/actor.js';
import { canTransition, describeState, type EnvState } from '../src/domain/lifecycle.js';
import { canActOnEnvironment, isSameUser } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { getEnvironment, lockEnvironment, ownerOf } from './environment-queries.js';
import { authorize } from './roles.js';
import { auditEnvironment, enqueueAfterCommit, transition } from './state-change.js';
import { cancelTimers } from './timers.js';

export interface DestroyInput {
  envId: string;
  actor: Actor;
  requestId: string;
  channelId?: string;
}

/** States a person can destroy from: an environment being deployed or running, or one whose destroy failed (try again). */
const DESTROYABLE: readonly EnvState[] = ['deploying', 'running', 'destroy_failed'];

/**
 * What a destroy of `envId` by `actor` would refuse, refused before asking them to confirm (someone else's
 * environment, one that cannot be destroyed now); the environment when it could go ahead. The destroy itself checks
 * everything again.
 */
export async function checkMayDestroy(s: Services, actor: Actor, envId: string): Promise<EnvironmentRow> {
  const role = await authorize(s, actor, 'change');
  const env = await getEnvironment(s, envId);
  if (!canActOnEnvironment(role, actor.user, ownerOf(env))) {
    throw new AppError('not_owner', `${envId} belongs to ${env.ownerName}; only its owner or an admin can destroy it.`);
  }
  if (env.state === 'destroying') throw new AppError('not_destroyable', `${envId} is already being destroyed.`);
  if (!canTransition(env.state, 'destroying')) {
    throw new AppError('not_destroyable', `${envId} is ${describeState(env.state)}, so there is nothing to destroy now.`);
  }
  return env;
}

/** The owner or an admin starts a destroy; the destroy job does the work. */
export async function requestDestroy(s: Services, input: DestroyInput): Promise<EnvironmentRow> {
  const role = await authorize(s, input.actor, 'change');
  const env = await s.db.transaction(async (tx) => {
    const current = await lockEnvironment(tx, input.envId);
    if (!canActOnEnvironment(role, input.actor.user, ownerOf(current))) {
      throw new AppError('not_owner', `Only the owner of ${current.id} or an admin can destroy it.`);
    }
    if (!DESTROYABLE.includes(current.state)) {
      throw new AppError('not_destroyable', notDestroyableMessage(current));
    }
    const isOwner = isSameUser(input.actor.user, ownerOf(current));
    const destroying = await transition(s, tx, current.id, current.state, 'destroying', {
      destroyReason: isOwner ? 'owner' : 'admin',
    });
    await auditEnvironment(s, tx, destroying!, {
      eventType: 'destroy.initiated',
      ...actedBy(input.actor, { reason: isOwner ? 'owner' : 'admin', from_state: current.state }),
      channelId: input.channelId ?? null,
      requestId: input.requestId,
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
