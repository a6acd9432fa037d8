import { envStatusView } from '../blocks/views/env-status.js';
import type { Reply } from '../src/chat/types.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
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
  const [history, endpoints] = await Promise.all([environmentHistory(s, envId), liveEndpoints(ctx, env)]);
  return { view: envStatusView({ env: { ...env, endpoints }, preset: s.catalog.find(env.presetId), history, now: s.clock.now() }) };
}

/** How long `/env status` waits for the provisioner's live outputs before showing those recorded at deploy. */
const LIVE_OUTPUTS_WAIT_MS = 1500;

/**
 * A running lab's endpoints as the provisioner reads them now (the Pulumi stack's outputs), or as recorded when it
 * became ready if the provisioner cannot say quickly: the reply must stay well inside the platform's ack deadline.
 */
async function liveEndpoints(ctx: HandlerContext, env: EnvironmentRow): Promise<Record<string, string>> {
  const outputs = ctx.s.provisioner.outputs;
  if (env.state !== 'running' || !outputs) return env.endpoints;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LIVE_OUTPUTS_WAIT_MS);
  });
  try {
    const live = await Promise.race([outputs.call(ctx.s.provisioner, env.id), late]);
    return live && Object.keys(live).length > 0 ? live : env.endpoints;
  } catch (error) {
    ctx.log.warn({ err: error, envId: env.id }, 'could not read live outputs; showing the recorded endpoints');
    return env.endpoints;
  } finally {
    clearTimeout(timer);
  }
}
