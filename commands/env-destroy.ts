import { destroyConfirmView } from '../blocks/views/destroy-confirm.js';
import type { Reply } from '../src/chat/types.js';
import { checkMayDestroy } from '../workflows/destroy.js';
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
  const { s } = ctx;
  ctx.audit.resource = environmentResource(envId);
  const env = await checkMayDestroy(s, ctx.actor, envId);
  return { view: destroyConfirmView(env, s.catalog.find(env.presetId), s.clock.now()) };
}

export async function runDestroy(ctx: HandlerContext, text: string): Promise<Reply> {
  const { envId } = parseDestroyArgs(text);
  return destroyConfirmation(ctx, envId);
}
