import { addSeconds } from 'date-fns';
import { progressView, threadNoteView } from '../blocks/views/lifecycle-notices.js';
import { systemActor } from '../src/audit/types.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import type { Preset } from '../src/domain/presets.js';
import { AppError, isAppError } from '../src/errors.js';
import { acquireEnvLock, type HeldEnvLock } from '../src/provisioners/lock.js';
import { sessionDbOf } from '../src/db/session.js';
import { JOBS, jobIds } from '../src/queue/jobs.js';
import { isFinalAttempt, type JobRun } from '../src/queue/run-job.js';
import type { Services } from '../src/services.js';
import { credentialsForLab } from './cloud-key-vault.js';
import { getEnvironment, lockAndReadEnvironment, notFound } from './environment-queries.js';
import { postInThread } from './notify-thread.js';
import { auditEnvironment, enqueueAfterCommit, transition, transitionAudited, transitionAuditedUnlocking } from './state-change.js';
import { scheduleFirstTimer } from './timers.js';

const WORKER = systemActor('worker');

/**
 * The deploy job: approved → deploying → running, with progress per tool in the card's thread. Safe to run again after
 * a crash: an environment found `deploying` is resumed (the provisioner is idempotent), and anything else means the work is done.
 * A deploy that fails for good moves to `destroying` with reason `deploy_failed`, so what it left behind is removed.
 * The lab is read with its lock, in one statement, and the lock is given back in the statement that moves it to running.
 */
export async function runDeploy(s: Services, envId: string, run: JobRun): Promise<void> {
  let found: EnvironmentRow | undefined;
  const lock = await acquireEnvLock(s.db.$client, envId, run.signal, {
    tryLock: async (client, key) => {
      const read = await lockAndReadEnvironment(client, key, envId);
      found = read?.env;
      return { locked: read?.locked === true, wanted: found?.state === 'approved' || found?.state === 'deploying' };
    },
  });
  if (found?.state !== 'approved' && found?.state !== 'deploying') {
    await lock.release();
    if (!found) throw notFound(envId);
    return;
  }
  let env: EnvironmentRow;
  try {
    env = await startDeploying(s, found, run);
  } catch (error) {
    await lock.release();
    throw error;
  }
  if (env.state !== 'deploying') {
    await lock.release();
    return;
  }
  try {
    const preset = presetOf(s, env);
    const credentials = await credentialsForLab(s, env.cloudKeyId);
    await postInThread(s, env, threadNoteView(`Deploying ${preset.name} (${preset.tools.length} tools), attempt ${run.attempt}.`));
    const result = await s.provisioner.deploy({
      envId: env.id,
      preset,
      ...(credentials ? { credentials } : {}),
      signal: lock.signal,
      onProgress: (event) => postInThread(s, env, progressView(env.id, event)),
    });
    await markRunning(s, env, preset, result.endpoints, lock);
  } catch (error) {
    await lock.release();
    if (!isFinalAttempt(run, JOBS.deploy.attempts, error)) throw error;
    s.log.error({ err: error, envId }, 'deploy failed for good; cleaning up');
    await failDeploy(s, env, error);
  }
}

/**
 * Moves an approved environment to deploying, the move and its audit entry in one statement. An environment in any
 * other state comes back as it was read (`deploying`: a retry resumes); one that left `approved` since, as it is now.
 */
async function startDeploying(s: Services, env: EnvironmentRow, run: JobRun): Promise<EnvironmentRow> {
  if (env.state !== 'approved') return env;
  const moved = await transitionAudited(s, s.db, env, 'approved', 'deploying', {}, [
    { eventType: 'deployment.started', actor: WORKER, details: { preset: env.presetId, provisioner: s.provisioner.name, attempt: run.attempt } },
  ]);
  return moved ?? getEnvironment(s, env.id);
}

/** Moves the lab to running on the lock's connection, giving the lock back in the same statement. */
async function markRunning(s: Services, env: EnvironmentRow, preset: Preset, endpoints: Record<string, string>, lock: HeldEnvLock): Promise<void> {
  const now = s.clock.now();
  const expiresAt = addSeconds(now, env.ttlSeconds);
  const running = await lock.releaseIn(async (client, key) => {
    const moved = await transitionAuditedUnlocking(
      s,
      sessionDbOf(client),
      env,
      'deploying',
      'running',
      { runningAt: now, expiresAt, maxExpiresAt: addSeconds(now, preset.maxTtlSeconds), endpoints },
      [{ eventType: 'deployment.completed', actor: WORKER, details: { tools: Object.keys(endpoints), expires_at: expiresAt.toISOString() } }],
      key,
    );
    return { value: moved, unlocked: moved !== undefined };
  });
  if (!running) {
    // Someone destroyed the environment while it deployed; the destroy job removes what was just created.
    s.log.info({ envId: env.id }, 'lab left deploying during the deploy; not marking it running');
    return;
  }
  // A lab moves to running once: its first timer and this notice have ids no job had before.
  await enqueueAfterCommit(s, env.id, [
    () =>
      scheduleFirstTimer(s, running, [{ name: 'notify', payload: { envId: env.id, event: 'deployment.completed' }, options: { jobId: jobIds.notify(env.id, 'deployment.completed') } }], {
        newIds: true,
      }),
  ]);
}

async function failDeploy(s: Services, env: EnvironmentRow, error: unknown): Promise<void> {
  const reason = failureReasonOf(error);
  const destroying = await s.db.transaction(async (tx) => {
    const moved = await transition(s, tx, env.id, 'deploying', 'destroying', { destroyReason: 'deploy_failed', failureReason: reason });
    if (moved) {
      await auditEnvironment(s, tx, moved, { eventType: 'deployment.failed', actor: WORKER, outcome: 'error', details: { reason } });
      await auditEnvironment(s, tx, moved, { eventType: 'destroy.initiated', actor: WORKER, details: { reason: 'deploy_failed' } });
    }
    return moved;
  });
  if (!destroying) return;
  await enqueueAfterCommit(s, env.id, [
    () => s.jobs.add('destroy', { envId: env.id }, { jobId: jobIds.destroy(env.id) }),
    () => s.jobs.add('notify', { envId: env.id, event: 'deployment.failed' }, { jobId: jobIds.notify(env.id, 'deployment.failed') }),
  ]);
}

export function presetOf(s: Services, env: EnvironmentRow): Preset {
  const preset = s.catalog.find(env.presetId);
  if (!preset) throw new AppError('preset_gone', `The preset ${env.presetId} is no longer in the catalog.`, { retry: false });
  return preset;
}

/** A failure reason safe to store and show: AppError messages are written for users; anything else is not shown. */
export function failureReasonOf(error: unknown): string {
  if (isAppError(error)) return error.message;
  if (error instanceof Error && error.name === 'AbortError') return 'the operation ran out of time';
  return 'unexpected error (details in the worker log)';
}
