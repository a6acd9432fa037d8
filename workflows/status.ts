import type { AuditRow } from '../src/db/schema/audit.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import { canDecidePlans, isSameUser } from '../src/domain/policy.js';
import type { Actor } from '../src/domain/actor.js';
import { AppError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { Services } from '../src/services.js';
import { environmentHistory, getEnvironment, ownerOf } from './environment-queries.js';
import { authorize } from './roles.js';

/** One environment as `/env status` shows it: its row, with the endpoints as the provisioner reads them now, and its history. */
export interface EnvironmentStatus {
  env: EnvironmentRow;
  /** The audit entries about it, oldest first. */
  history: AuditRow[];
}

/** How long the status waits for the provisioner's live outputs before showing those recorded at deploy. */
const LIVE_OUTPUTS_WAIT_MS = 1500;

/** Owners see their own environments; approvers and admins see any (they decide on them and answer for them). */
export async function environmentStatus(s: Services, actor: Actor, envId: string, log: Logger = s.log): Promise<EnvironmentStatus> {
  const role = await authorize(s, actor, 'read');
  const env = await getEnvironment(s, envId);
  if (!isSameUser(actor.user, ownerOf(env)) && !canDecidePlans(role)) {
    throw new AppError('forbidden', `${envId} belongs to someone else; only its owner, approvers and admins can see it.`, {
      hint: '`/env list` shows your own environments.',
    });
  }
  const [history, endpoints] = await Promise.all([environmentHistory(s, envId), liveEndpoints(s, env, log)]);
  return { env: { ...env, endpoints }, history };
}

/**
 * A running environment's endpoints as the provisioner reads them now (the Pulumi stack's outputs), or as recorded
 * when it became ready if the provisioner cannot say quickly: the answer must stay well inside the platform's ack
 * deadline.
 */
async function liveEndpoints(s: Services, env: EnvironmentRow, log: Logger): Promise<Record<string, string>> {
  const outputs = s.provisioner.outputs;
  if (env.state !== 'running' || !outputs) return env.endpoints;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LIVE_OUTPUTS_WAIT_MS);
  });
  try {
    const live = await Promise.race([outputs.call(s.provisioner, env.id), late]);
    return live && Object.keys(live).length > 0 ? live : env.endpoints;
  } catch (error) {
    log.warn({ err: error, envId: env.id }, 'could not read live outputs; showing the recorded endpoints');
    return env.endpoints;
  } finally {
    clearTimeout(timer);
  }
}
