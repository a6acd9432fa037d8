import { chainBreakAlertView, verifyResultView } from '../blocks/views/audit.js';
import { errorView } from '../blocks/views/error.js';
import type { View } from '../blocks/view.js';
import { appendAudit, type PendingEntry } from '../src/audit/append.js';
import { actedBy, systemActor, type AuditEntryInput } from '../src/audit/types.js';
import { verifyChain, type ChainHead, type VerifyResult } from '../src/audit/verify.js';
import { apiKeyActor, type Actor } from '../src/domain/actor.js';
import { canVerifyAudit } from '../src/domain/policy.js';
import { AppError, isAppError } from '../src/errors.js';
import { jobIds, type JobPayload } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { authorize, usersWithRole } from './roles.js';

export type AuditVerifyPayload = JobPayload<'audit-verify'>;
/** Who asked for an audit job from chat: the answer goes to them by DM. */
export type AuditRequester = NonNullable<AuditVerifyPayload['requestedBy']>;
type VerifyServices = Pick<Services, 'db' | 'clock' | 'notifiers' | 'log'>;

export interface VerifyReport {
  /** The walk's result; undefined when the check was refused (a published head older than the retention). */
  result: VerifyResult | undefined;
  refusal: AppError | undefined;
  entry: PendingEntry;
  /** Admins the break was reported to, as `platform:userId` (the daily check only). */
  alerted: string[];
}

/** Where a request for an audit job came from: its id, and the channel it was asked in (none outside chat). */
export interface AuditJobRequest {
  requestId: string;
  channelId?: string;
}

/** Who asked for an audit job, as its payload carries them: the answer goes to their user by DM. */
export function auditRequester(actor: Actor, request: AuditJobRequest): AuditRequester {
  return {
    requestId: request.requestId,
    platform: actor.user.platform,
    userId: actor.user.id,
    userName: actor.user.name,
    channelId: request.channelId ?? '',
    door: actor.door,
    ...(actor.apiKey ? { apiKey: actor.apiKey } : {}),
  };
}

/** The actor an audit job acts for: whoever asked, through the door they asked through (an API key acts as itself). */
export function requesterActor(requester: AuditRequester): Actor {
  const user = { platform: requester.platform, id: requester.userId, name: requester.userName };
  if (requester.apiKey) return apiKeyActor(user, requester.apiKey);
  return { user, door: requester.door ?? 'chat' };
}

/** Checking the chain and publishing its head: admins only, through any door. */
export async function checkMayVerifyAudit(s: Pick<Services, 'db' | 'config'>, actor: Actor, what = 'verify the audit log'): Promise<void> {
  if (!canVerifyAudit(await authorize(s, actor, 'read'))) throw new AppError('forbidden', `Only admins can ${what}.`);
}

/** `/audit verify`: the check reads the whole log, so it runs as a job whose answer goes to the requester by DM. */
export async function requestAuditVerify(
  s: Pick<Services, 'db' | 'jobs' | 'config'>,
  actor: Actor,
  request: AuditJobRequest,
  head: ChainHead | undefined,
): Promise<void> {
  await checkMayVerifyAudit(s, actor);
  const requester = auditRequester(actor, request);
  await s.jobs.add('audit-verify', { requestedBy: requester, ...(head ? { head } : {}) }, { jobId: jobIds.auditVerify(requester.requestId) });
}

/**
 * The `audit-verify` job. Walks the chain (and checks the published head when one was given), appends `audit.verified`
 * with the result, then answers: by DM to whoever asked through `/audit verify`, or, for the daily check, by DM to
 * every admin of every configured platform when the chain is broken. Failed DMs fail the run, so it is retried.
 */
export async function runAuditVerify(s: VerifyServices, payload: AuditVerifyPayload): Promise<VerifyReport> {
  const outcome = await check(s, payload.head);
  const entry = await appendAudit(s.db, s.clock, verifiedEntry(payload, outcome));
  if (outcome.result && !outcome.result.intact) {
    s.log.error({ firstBroken: outcome.result.firstBroken, checked: outcome.result.checked }, 'audit chain verification found a break');
  }
  const requester = payload.requestedBy;
  if (requester) {
    const view = outcome.result ? verifyResultView(outcome.result, payload.head) : refusalView(outcome.refusal!, requester.requestId);
    await s.notifiers.get(requester.platform).dm(requester.userId, view);
    return { ...outcome, entry, alerted: [] };
  }
  const alerted = outcome.result && !outcome.result.intact ? await alertAdmins(s, chainBreakAlertView(outcome.result, s.clock.now())) : [];
  return { ...outcome, entry, alerted };
}

async function check(s: VerifyServices, head: ChainHead | undefined): Promise<Pick<VerifyReport, 'result' | 'refusal'>> {
  try {
    return { result: await verifyChain(s.db, head ? { publishedHead: head } : {}), refusal: undefined };
  } catch (error) {
    // A head the retention purge removed cannot be checked: that is an answer for the requester, not a failure.
    if (isAppError(error) && !error.retry) return { result: undefined, refusal: error };
    throw error;
  }
}

function verifiedEntry(payload: AuditVerifyPayload, outcome: Pick<VerifyReport, 'result' | 'refusal'>): AuditEntryInput {
  const requester = payload.requestedBy;
  const { result, refusal } = outcome;
  const details = {
    trigger: requester ? 'command' : 'schedule',
    publishedHead: payload.head ?? null,
    ...(result ? resultDetails(result) : { error: refusal?.code, reason: refusal?.message }),
  };
  return {
    eventType: 'audit.verified',
    ...(requester ? actedBy(requesterActor(requester), details) : { actor: systemActor('verifier'), details }),
    platform: requester?.platform ?? 'system',
    channelId: requester?.channelId || null,
    requestId: requester?.requestId ?? null,
    resource: { type: 'audit_log', id: 'chain' },
    outcome: refusal ? 'invalid' : result?.intact ? 'ok' : 'error',
  };
}

function resultDetails(result: VerifyResult): Record<string, unknown> {
  return result.intact
    ? { checked: result.checked, intact: true, head: result.head }
    : { checked: result.checked, intact: false, firstBroken: result.firstBroken };
}

function refusalView(refusal: AppError, requestId: string): View {
  return errorView({ message: refusal.message, hint: refusal.hint, requestId, tone: 'warning' });
}

/** DMs every admin of each configured platform (roles read from Postgres now); throws after trying all if any DM failed. */
async function alertAdmins(s: VerifyServices, view: View): Promise<string[]> {
  const alerted: string[] = [];
  let failures = 0;
  for (const notifier of s.notifiers.all()) {
    for (const userId of await usersWithRole(s, notifier.platform, 'admin')) {
      try {
        await notifier.dm(userId, view);
        alerted.push(`${notifier.platform}:${userId}`);
      } catch (error) {
        failures += 1;
        s.log.error({ err: error, platform: notifier.platform, userId }, 'could not alert an admin about the broken audit chain');
      }
    }
  }
  if (alerted.length === 0 && failures === 0) s.log.error('the audit chain is broken and there is no admin to alert');
  if (failures > 0) throw new Error(`${failures} admin alert(s) about the broken audit chain could not be sent`);
  return alerted;
}
