import { progressView } from '../blocks/views/lifecycle-notices.js';
import { systemActor } from '../src/audit/types.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import { withEnvLock } from '../src/provisioners/lock.js';
import { JOBS, jobIds, type NotifyEvent } from '../src/queue/jobs.js';
import { isFinalAttempt, type JobRun } from '../src/queue/run-job.js';
import type { Services } from '../src/services.js';
import { failureReasonOf, presetOf } from './deploy.js';
import { credentialsForLab } from './cloud-key-vault.js';
import { getEnvironment } from './environment-queries.js';
import { postInThread } from './notify-thread.js';
import { auditEnvironment, enqueueAfterCommit, transition } from './state-change.js';

const WORKER = systemActor('worker');

/**
 * The destroy job: removes an environment's resources and settles it as `destroyed` (or `deploy_failed` when it was the cleanup
 * of a failed deploy). Runs only for environments in `destroying`, so replays are no-ops. A destroy that fails for good ends in
 * `destroy_failed`, and the owner and admins are told.
 */
export async function runDestroy(s: Services, envId: string, run: JobRun): Promise<void> {
  const env = await getEnvironment(s, envId);
  if (env.state !== 'destroying') return;
  try {
    const preset = presetOf(s, env);
    const credentials = await credentialsForLab(s, env.cloudKeyId);
    await withEnvLock(s.db.$client, env.id, run.signal, (signal) =>
      s.provisioner.destroy({
        envId: env.id,
        preset,
        ...(credentials ? { credentials } : {}),
        signal,
        onProgress: (event) => postInThread(s, env, progressView(env.id, event)),
      }),
    );
    await settle(s, env, 'destroy.completed');
  } catch (error) {
    if (!isFinalAttempt(run, JOBS.destroy.attempts, error)) throw error;
    s.log.error({ err: error, envId }, 'destroy failed for good; alerting admins');
    await settle(s, env, 'destroy.failed', failureReasonOf(error));
  }
}

async function settle(s: Services, env: EnvironmentRow, event: NotifyEvent & `destroy.${string}`, reason?: string): Promise<void> {
  const to = event === 'destroy.failed' ? 'destroy_failed' : env.destroyReason === 'deploy_failed' ? 'deploy_failed' : 'destroyed';
  const settled = await s.db.transaction(async (tx) => {
    const moved = await transition(s, tx, env.id, 'destroying', to, {
      finishedAt: to === 'destroy_failed' ? null : s.clock.now(),
      ...(reason ? { failureReason: reason } : {}),
    });
    if (moved) {
      await auditEnvironment(s, tx, moved, {
        eventType: event,
        actor: WORKER,
        outcome: event === 'destroy.failed' ? 'error' : 'ok',
        details: { reason: reason ?? env.destroyReason, final_state: to },
      });
    }
    return moved;
  });
  if (!settled) return;
  await enqueueAfterCommit(s, env.id, [
    () => s.jobs.add('notify', { envId: env.id, event }, { jobId: jobIds.notify(env.id, event) }),
  ]);
}
