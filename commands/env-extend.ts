import { extendedView } from '../blocks/views/extended.js';
import type { Reply } from '../src/chat/types.js';
import { parseDuration } from '../src/domain/durations.js';
import { parseEnvId } from '../src/domain/ids.js';
import { extendEnvironment } from '../workflows/extend.js';
import { clip, parseArgs } from './args.js';
import { badArguments, environmentResource, withUsage, type HandlerContext } from './context.js';
import { ENV_USAGE } from './usage.js';

/** `/env extend <env-id> <duration>`; a leading `+` on the duration is accepted (`+2h`). */
export function parseExtendArgs(text: string): { envId: string; bySeconds: number } {
  return withUsage(ENV_USAGE.extend, () => {
    const { positionals } = parseArgs(text, {});
    const [envText, durationText, extra] = positionals;
    const envId = parseEnvId(envText);
    if (durationText === undefined) throw badArguments(`By how much? e.g. \`/env extend ${envId} 2h\`.`, ENV_USAGE.extend);
    if (extra !== undefined) throw badArguments(`Unexpected "${clip(extra)}": give an environment id and one duration.`, ENV_USAGE.extend);
    return { envId, bySeconds: parseDuration(durationText.replace(/^\+/, '')) };
  });
}

/** Extends and answers with the new expiry: for the command and for the Extend buttons. */
export async function extendBy(ctx: HandlerContext, envId: string, bySeconds: number): Promise<Reply> {
  const { s, invocation } = ctx;
  ctx.audit.resource = environmentResource(envId);
  const env = await extendEnvironment(s, {
    envId,
    actor: ctx.actor,
    bySeconds,
    requestId: invocation.requestId,
    channelId: invocation.channelId,
  });
  return { view: extendedView(env, s.catalog.find(env.presetId), bySeconds, s.clock.now()) };
}

export async function runExtend(ctx: HandlerContext, text: string): Promise<Reply> {
  const { envId, bySeconds } = parseExtendArgs(text);
  return extendBy(ctx, envId, bySeconds);
}
