import { addSeconds } from 'date-fns';
import { sql } from 'drizzle-orm';
import { sanitizeText } from '../src/audit/sanitize.js';
import { actedBy, systemActor } from '../src/audit/types.js';
import { decisions } from '../src/db/schema/decisions.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import { newEnvId } from '../src/domain/ids.js';
import { parseEnvironmentName } from '../src/domain/environment-name.js';
import { checkQuota, checkRequestedTtl } from '../src/domain/policy.js';
import type { Actor } from '../src/domain/actor.js';
import { userKey } from '../src/domain/users.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { chooseCloudKey } from './cloud-keys.js';
import { countActive } from './environment-queries.js';
import { authorize } from './roles.js';
import { auditEnvironment, enqueueAfterCommit, insertAudited, transition } from './state-change.js';

export interface RequestInput {
  /** Who asks; the environment is their user's. */
  actor: Actor;
  channelId: string;
  presetId: string;
  ttlSeconds?: number;
  name?: string;
  requestId: string;
}

/**
 * Creates a plan. Presets that need approval wait for a decision (and expire after APPROVAL_TIMEOUT); presets without
 * approval are approved by policy in the same transaction and go straight to deploy.
 */
export async function requestEnvironment(s: Services, input: RequestInput): Promise<EnvironmentRow> {
  const preset = s.catalog.get(input.presetId);
  const ttlSeconds = input.ttlSeconds ?? preset.defaultTtlSeconds;
  checkRequestedTtl(ttlSeconds, preset, s.config.MIN_TTL);
  const name = input.name === undefined ? null : parseEnvironmentName(input.name);
  const requester = input.actor.user;
  await authorize(s, input.actor, 'change');

  const env = await s.db.transaction(async (tx) => {
    // One request at a time per user, so two concurrent requests cannot both slip under the quota.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`quota:${userKey(requester)}`}))`);
    checkQuota(await countActive(s, requester, tx), s.config.MAX_ACTIVE_PER_USER);
    const cloudKeyId = await chooseCloudKey(tx, preset);
    const now = s.clock.now();
    const values = {
      id: newEnvId(),
      presetId: preset.id,
      name,
      platform: requester.platform,
      ownerId: requester.id,
      ownerName: sanitizeText(requester.name),
      requestChannelId: input.channelId,
      state: 'pending_approval',
      ttlSeconds,
      requestedAt: now,
      approvalDeadline: addSeconds(now, s.config.APPROVAL_TIMEOUT),
      cloudKeyId,
      updatedAt: now,
    } as const;
    const plan = await insertAudited(s, tx, values, [
      {
        eventType: 'plan.created',
        ...actedBy(input.actor, { preset: preset.id, ttl_seconds: ttlSeconds, name, approval: preset.approvalRequired ? 'required' : 'none' }),
        channelId: input.channelId,
        requestId: input.requestId,
      },
    ]);
    if (preset.approvalRequired) return plan;

    const approved = await transition(s, tx, plan.id, 'pending_approval', 'approved');
    await tx.insert(decisions).values({ envId: plan.id, outcome: 'approved', reason: 'auto-approved by policy', decidedAt: now });
    await auditEnvironment(s, tx, approved!, {
      eventType: 'plan.approved',
      actor: systemActor('policy'),
      requestId: input.requestId,
      details: { reason: `preset ${preset.id} needs no approval` },
    });
    return approved!;
  });

  // Both jobs in one round of Redis calls: the card's notice, and the deploy or the approval's expiry.
  await enqueueAfterCommit(s, env.id, [
    () =>
      s.jobs.addMany([
        { name: 'notify', payload: { envId: env.id, event: 'plan.created' }, options: { jobId: jobIds.notify(env.id, 'plan.created') } },
        env.state === 'approved'
          ? { name: 'deploy', payload: { envId: env.id }, options: { jobId: jobIds.deploy(env.id) } }
          : { name: 'approval-expire', payload: { envId: env.id }, options: { jobId: jobIds.approvalExpire(env.id), runAt: env.approvalDeadline } },
      ]),
  ]);
  return env;
}
