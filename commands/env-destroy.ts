import { destroyConfirmView } from '../blocks/views/destroy-confirm.js';
import type { Reply } from '../src/chat/types.js';
import { canTransition, describeState } from '../src/domain/lifecycle.js';
import { canActOnEnvironment } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import { getEnvironment, ownerOf } from '../workflows/environment-queries.js';
import { roleOf } from '../workflows/roles.js';
import { environmentResource, type HandlerContext } from './context.js';
import { parseSingleEnvId } from './env-status.js';
import { ENV_USAGE } from './usage.js';

export function parseDestroyArgs(text: string): { envId: string } {
  return { envId: parseSingleEnvId(text, ENV_USAGE.destroy) };
}

/**
 * The confirmation with `Destroy now` / `Cancel`, for the command and the Destroy button. Nothing is destroyed here;
 * what the destroy itself would refuse (someone else's environment, one that cannot be destroyed now) is refused now rather
 * than after the click. The destroy re-checks everything when confirmed.
 */
export async function destroyConfirmation(ctx: HandlerContext, envId: string): Promise<Reply> {
  const { s, invocation } = ctx;
  ctx.audit.resource = environmentResource(envId);
  const env = await getEnvironment(s, envId);
  if (!canActOnEnvironment(await roleOf(s, invocation.user), invocation.user, ownerOf(env))) {
    throw new AppError('not_owner', `${envId} belongs to ${env.ownerName}; only its owner or an admin can destroy it.`);
  }
  if (env.state === 'destroying') throw new AppError('not_destroyable', `${envId} is already being destroyed.`);
  if (!canTransition(env.state, 'destroying')) {
    throw new AppError('not_destroyable', `${envId} is ${describeState(env.state)}, so there is nothing to destroy now.`);
  }
  return { view: destroyConfirmView(env, s.catalog.find(env.presetId), s.clock.now()) };
}

export async function runDestroy(ctx: HandlerContext, text: string): Promise<Reply> {
  const { envId } = parseDestroyArgs(text);
  return destroyConfirmation(ctx, envId);
}
