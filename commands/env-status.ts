import { envStatusView } from '../blocks/views/env-status.js';
import type { Reply } from '../src/chat/types.js';
import { parseEnvId } from '../src/domain/ids.js';
import { canDecidePlans, isSameUser } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import { roleOf } from '../workflows/roles.js';
import { environmentHistory, getEnvironment } from '../workflows/queries.js';
import { clip, parseArgs } from './args.js';
import { badArguments, environmentResource, ownerRef, withUsage, type HandlerContext } from './context.js';
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

/** Owners see their own labs; approvers and admins see any (they decide on them and answer for them). */
export async function runStatus(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const { envId } = parseStatusArgs(text);
  ctx.audit.resource = environmentResource(envId);
  const env = await getEnvironment(s, envId);
  if (!isSameUser(invocation.user, ownerRef(env)) && !canDecidePlans(await roleOf(s, invocation.user))) {
    throw new AppError('forbidden', `${envId} belongs to someone else; only its owner, approvers and admins can see it.`, {
      hint: '`/env list` shows your own environments.',
    });
  }
  const history = await environmentHistory(s, envId);
  return { view: envStatusView({ env, preset: s.catalog.find(env.presetId), history, now: s.clock.now() }) };
}
