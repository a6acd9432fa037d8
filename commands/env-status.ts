import { envStatusView } from '../blocks/views/env-status.js';
import type { Reply } from '../src/chat/types.js';
import { parseEnvId } from '../src/domain/ids.js';
import { environmentStatus } from '../workflows/status.js';
import { clip, parseArgs } from './args.js';
import { badArguments, environmentResource, withUsage, type HandlerContext } from './context.js';
import { ENV_USAGE, type UsageLine } from './usage.js';

/** One environment id and nothing else: `/env status`, `/env destroy`. */
export function parseSingleEnvId(text: string, line: UsageLine): string {
  return withUsage(line, () => {
    const { positionals } = parseArgs(text, {});
    if (positionals.length > 1) throw badArguments(`Unexpected "${clip(positionals[1]!)}": give one environment id.`, line);
    return parseEnvId(positionals[0]);
  });
}

export function parseStatusArgs(text: string): { envId: string } {
  return { envId: parseSingleEnvId(text, ENV_USAGE.status) };
}

export async function runStatus(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s } = ctx;
  const { envId } = parseStatusArgs(text);
  ctx.audit.resource = environmentResource(envId);
  const { env, history } = await environmentStatus(s, ctx.actor, envId, ctx.log);
  return { view: envStatusView({ env, preset: s.catalog.find(env.presetId), history, now: s.clock.now() }) };
}
