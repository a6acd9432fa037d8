import { destroyingView, destroyKeptView } from '../../blocks/views/destroy-confirm.js';
import type { Reply } from '../../src/chat/types.js';
import { requestDestroy } from '../../workflows/destroy.js';
import { authorize } from '../../workflows/roles.js';
import { NOTHING_MORE, type HandlerContext } from '../context.js';

/** `Destroy now` on the confirmation: starts the destroy and turns the confirmation into "Destroying …". */
export async function confirmDestroy(ctx: HandlerContext, envId: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const env = await requestDestroy(s, {
    envId,
    actor: ctx.actor,
    requestId: invocation.requestId,
    channelId: invocation.channelId,
  });
  return { view: NOTHING_MORE, replaceOriginal: destroyingView(env, s.catalog.find(env.presetId)) };
}

/** `Cancel` on the confirmation: nothing changes; the confirmation says so and loses its buttons (for people in the team). */
export async function cancelDestroy(ctx: HandlerContext, envId: string): Promise<Reply> {
  await authorize(ctx.s, ctx.actor, 'read');
  return { view: NOTHING_MORE, replaceOriginal: destroyKeptView(envId) };
}
