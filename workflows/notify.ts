import { and, eq, isNull, sql } from 'drizzle-orm';
import { approvalCardView, decisionLine } from '../blocks/views/approval-card.js';
import {
  decisionDmView, destroyFailedView, environmentDestroyedView, environmentFailedView, environmentReadyView, threadNoteView,
} from '../blocks/views/lifecycle-notices.js';
import type { View } from '../blocks/view.js';
import { channelsOf } from '../src/config.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { decisions, type DecisionRow } from '../src/db/schema/decisions.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import type { Preset } from '../src/domain/presets.js';
import { AppError } from '../src/errors.js';
import type { JobPayload } from '../src/queue/jobs.js';
import type { Notifier } from '../src/chat/types.js';
import type { Services } from '../src/services.js';
import { presetOf } from './deploy.js';
import { postInThread } from './notify-thread.js';
import { countActive, notFound } from './environment-queries.js';
import { usersWithRole } from './roles.js';

/**
 * The notify job: tells people in chat what happened, rendering from Postgres at send time so a late or repeated
 * job shows the current truth.
 */
export async function runNotify(s: Services, payload: JobPayload<'notify'>): Promise<void> {
  const { env, decision } = await environmentAndDecision(s, payload.envId);
  const notifier = s.notifiers.find(env.platform);
  if (!notifier) {
    throw new AppError('platform_off', `${env.platform} is not configured in this process`, { retry: false });
  }
  const preset = presetOf(s, env);
  switch (payload.event) {
    case 'plan.created':
      return postApprovalCard(s, notifier, env, preset, decision);
    case 'plan.decided':
      return announceDecision(s, notifier, env, preset, decision);
    case 'deployment.completed':
      await postInThread(s, env, threadNoteView(`${env.id} is running.`));
      await notifier.dm(env.ownerId, environmentReadyView(env, preset));
      return;
    case 'deployment.failed':
      await postInThread(s, env, threadNoteView(`${env.id} failed to deploy: ${env.failureReason ?? 'unknown error'}. Cleaning up.`));
      await notifier.dm(env.ownerId, environmentFailedView(env, preset));
      return;
    case 'destroy.completed':
      await postInThread(s, env, threadNoteView(`${env.id} is destroyed.`));
      await notifier.dm(env.ownerId, environmentDestroyedView(env, preset));
      return;
    case 'destroy.failed':
      return alertDestroyFailed(s, notifier, env, destroyFailedView(env, preset));
  }
}

/** The environment and its decision, if any, in one query; `not_found` when there is no such environment. */
async function environmentAndDecision(s: Services, envId: string): Promise<{ env: EnvironmentRow; decision: DecisionRow | undefined }> {
  const [row] = await environmentAndDecisionOf(s.db).execute({ envId });
  if (!row) throw notFound(envId);
  return { env: row.env, decision: row.decision ?? undefined };
}

const environmentAndDecisionOf = preparedPerDb((db) =>
  db
    .select({ env: environments, decision: decisions })
    .from(environments)
    .leftJoin(decisions, eq(decisions.envId, environments.id))
    .where(eq(environments.id, sql.placeholder('envId')))
    .prepare('environment_and_decision'),
);

async function postApprovalCard(s: Services, notifier: Notifier, env: EnvironmentRow, preset: Preset, decidedBefore: DecisionRow | undefined): Promise<void> {
  if (env.approvalCard) return;
  const channel = channelsOf(s.config, env.platform)?.approvalsChannel;
  if (!channel) throw new AppError('platform_off', `no approvals channel for ${env.platform}`, { retry: false });
  const activeCount = await countActive(s, { platform: env.platform, id: env.ownerId });
  const card = await notifier.post(channel, approvalCardView({ env, preset, activeCount, decision: decidedBefore }));
  await s.db
    .update(environments)
    .set({ approvalCard: { channelId: card.channelId, messageId: card.messageId } })
    .where(and(eq(environments.id, env.id), isNull(environments.approvalCard)));
  // A decision made while the card was being posted found no card to edit: edit it now. (A decision made after the
  // card was recorded is announced by its own notify job.)
  const decidedDuring = decidedBefore ? undefined : await decisionOf(s, env.id);
  if (decidedDuring) await notifier.update(card, approvalCardView({ env, preset, activeCount, decision: decidedDuring }));
}

function decisionOf(s: Services, envId: string): Promise<DecisionRow | undefined> {
  return s.db.select().from(decisions).where(eq(decisions.envId, envId)).then((rows) => rows[0]);
}

async function announceDecision(s: Services, notifier: Notifier, env: EnvironmentRow, preset: Preset, decision: DecisionRow | undefined): Promise<void> {
  if (env.approvalCard) {
    const activeCount = await countActive(s, { platform: env.platform, id: env.ownerId });
    await notifier.update({ platform: env.platform, ...env.approvalCard }, approvalCardView({ env, preset, activeCount, decision }));
  }
  if (!decision) return;
  const next = decision.outcome === 'approved' ? '; deploying it now' : '';
  await notifier.dm(env.ownerId, decisionDmView(env, `${decisionLine(decision)}${next}`));
}

async function alertDestroyFailed(s: Services, notifier: Notifier, env: EnvironmentRow, view: View): Promise<void> {
  await postInThread(s, env, view);
  const admins = await usersWithRole(s, env.platform, 'admin');
  const recipients = new Set([env.ownerId, ...admins]);
  for (const userId of recipients) await notifier.dm(userId, view);
}
