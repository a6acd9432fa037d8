import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { mention, type ActionId } from '../../blocks/view.js';
import { invitations } from '../../src/db/schema/invitations.js';
import { handleInvocation } from '../../commands/index.js';
import { appendAudit } from '../../src/audit/append.js';
import type { ActionInvocation, CommandInvocation, DialogSubmission, Invocation, Reply } from '../../src/chat/types.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit.js';
import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import type { UserRef } from '../../src/domain/users.js';
import { AppError, isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { DeployRequest, DestroyRequest, Provisioner } from '../../src/provisioners/port.js';
import { JOBS, type EnqueueOptions, type JobName, type JobPayload, type JobQueue, type JobToAdd } from '../../src/queue/jobs.js';
import { addOneByOne, restoreOneByOne } from './jobs-one-by-one.js';
import { validatePayload } from '../../src/queue/queue.js';
import type { JobProcessor, Processors } from '../../src/queue/run-job.js';
import type { Services } from '../../src/services.js';
import { chatActor } from '../../src/domain/actor.js';
import { addCloudKey } from '../../workflows/cloud-keys.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { createProcessors } from '../../workflows/processors.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { clickInvocation, commandInvocation, dialogInvocation } from './invocations.js';
import { RecordingNotifier } from './recording-notifier.js';
import { buildServices, FAST_SETTINGS, USERS } from './services.js';
import { MATTERMOST_SETTINGS, MM_ADMIN, MM_MEMBER } from './audit-services.js';
import { envIdIn } from './command-kit.js';
import { newCredentialsKey, newPair } from './cloud-keys.js';

/** Who acts in the coverage scenarios, on each platform. */
export interface Cast {
  owner: UserRef;
  /** A member who owns nothing here. */
  other: UserRef;
  approver: UserRef;
  admin: UserRef;
}

export const CASTS: Readonly<Record<UserRef['platform'], Cast>> = {
  slack: { owner: USERS.alice, other: USERS.bob, approver: USERS.approver, admin: USERS.admin },
  mattermost: {
    owner: { platform: 'mattermost', id: 'mmowner0000000000000000000', name: 'olga' },
    other: MM_MEMBER,
    approver: { platform: 'mattermost', id: 'mmapprover0000000000000000', name: 'abe' },
    admin: MM_ADMIN,
  },
  sandbox: {
    owner: { platform: 'sandbox', id: 'sara', name: 'sara' },
    other: { platform: 'sandbox', id: 'sven', name: 'sven' },
    approver: { platform: 'sandbox', id: 'sal', name: 'sal' },
    admin: { platform: 'sandbox', id: 'sam', name: 'sam' },
  },
};

/** One job run as the inline queue did it, with the audit entries written while it ran. */
export interface JobRunRecord {
  name: JobName;
  jobId: string;
  attempt: number;
  events: string[];
  failed: boolean;
}

interface PendingJob {
  name: JobName;
  jobId: string;
  payload: unknown;
  runAt: number;
}

/**
 * A JobQueue that runs jobs in this process, one at a time, when `drain` is called and their time (on the manual
 * clock) has come: BullMQ's id rules (a pending or completed id is not added again; `remove` frees it), its retries
 * (immediately, up to the job's attempts; a non-retryable AppError stops them), and nothing running alongside, so
 * every audit entry belongs to exactly one job run.
 */
export class InlineJobQueue implements JobQueue {
  private readonly pending = new Map<string, PendingJob>();
  private readonly completed = new Set<string>();

  constructor(private readonly clock: ManualClock) {}

  async add<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions): Promise<void> {
    const key = `${name}:${options.jobId}`;
    if (this.pending.has(key) || this.completed.has(key)) return;
    const parsed = validatePayload(name, payload);
    this.pending.set(key, { name, jobId: options.jobId, payload: parsed, runAt: options.runAt?.getTime() ?? this.clock.now().getTime() });
  }

  addMany(jobs: readonly JobToAdd[]): Promise<void> {
    return addOneByOne(this, jobs);
  }

  restoreMissing(jobs: readonly JobToAdd[]): Promise<JobToAdd[]> {
    return restoreOneByOne(this, jobs);
  }

  async remove(name: JobName, jobId: string): Promise<void> {
    this.pending.delete(`${name}:${jobId}`);
    this.completed.delete(`${name}:${jobId}`);
  }

  async has(name: JobName, jobId: string): Promise<boolean> {
    return this.pending.has(`${name}:${jobId}`);
  }

  /** The first job due now, taken off the queue. */
  takeDue(): PendingJob | undefined {
    const now = this.clock.now().getTime();
    for (const [key, job] of this.pending) {
      if (job.runAt > now) continue;
      this.pending.delete(key);
      return job;
    }
    return undefined;
  }

  complete(job: PendingJob): void {
    this.completed.add(`${job.name}:${job.jobId}`);
  }

}

/** The local simulator with switchable faults: labs listed here fail to deploy or destroy, for good. */
class FaultyProvisioner implements Provisioner {
  readonly name = 'local' as const;
  readonly failDeploy = new Set<string>();
  readonly failDestroy = new Set<string>();

  constructor(private readonly inner: Provisioner) {}

  deploy(request: DeployRequest) {
    if (this.failDeploy.has(request.envId)) return Promise.reject(new AppError('simulated_failure', 'The deploy failed (simulated).'));
    return this.inner.deploy(request);
  }

  destroy(request: DestroyRequest) {
    if (this.failDestroy.has(request.envId)) return Promise.reject(new AppError('simulated_failure', 'The destroy failed (simulated).'));
    return this.inner.destroy(request);
  }
}

/** Records, per transaction, every change of an environment's state and every audit entry (test database only). */
const TRACE_SQL = `
create table coverage_trace (
  seq bigserial primary key,
  txid bigint not null default txid_current(),
  kind text not null,
  env_id text,
  from_state text,
  to_state text,
  event_type text,
  category text
);
create function coverage_trace_env() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.state is distinct from old.state then
    insert into coverage_trace (kind, env_id, from_state, to_state)
      values ('state', new.id, case when tg_op = 'UPDATE' then old.state end, new.state);
  end if;
  return null;
end $$;
create trigger coverage_trace_env after insert or update on environments for each row execute function coverage_trace_env();
create function coverage_trace_audit() returns trigger language plpgsql as $$
begin
  insert into coverage_trace (kind, env_id, event_type, category)
    values ('audit', case when new.resource_type = 'environment' then new.resource_id end, new.event_type, new.category);
  return null;
end $$;
create trigger coverage_trace_audit after insert on audit_log for each row execute function coverage_trace_audit();
`;

export interface TraceRow {
  txid: string;
  kind: 'state' | 'audit';
  env_id: string | null;
  from_state: string | null;
  to_state: string | null;
  event_type: string | null;
  category: string | null;
}

export interface Invoked {
  reply: Reply;
  /** The `command.invoked` / `action.clicked` entries written for the request. */
  chatEntries: AuditRow[];
}

export class CoverageHarness {
  readonly runs: JobRunRecord[] = [];
  readonly processors: Processors;

  private constructor(
    readonly database: TestDatabase,
    readonly s: Services,
    readonly clock: ManualClock,
    readonly jobs: InlineJobQueue,
    readonly provisioner: FaultyProvisioner,
    readonly notifiers: Record<UserRef['platform'], RecordingNotifier>,
  ) {
    this.processors = createProcessors(s);
  }

  static async start(): Promise<CoverageHarness> {
    const database = await createTestDatabase();
    await database.pool.query(TRACE_SQL);
    // Real time: the database's retention guard compares entries with its own clock.
    const clock = new ManualClock(new Date());
    const jobs = new InlineJobQueue(clock);
    const notifiers = { slack: new RecordingNotifier('slack'), mattermost: new RecordingNotifier('mattermost'), sandbox: new RecordingNotifier('sandbox') };
    let provisioner!: FaultyProvisioner;
    const s = await buildServices({
      db: database.db,
      settings: {
        ...FAST_SETTINGS,
        ...MATTERMOST_SETTINGS,
        APPROVERS: `slack:${USERS.approver.id},mattermost:${CASTS.mattermost.approver.id},sandbox:${CASTS.sandbox.approver.id}`,
        ADMINS: `${MATTERMOST_SETTINGS.ADMINS!},sandbox:${CASTS.sandbox.admin.id}`,
        SLACK_AUDIT_CHANNEL: 'CAUDIT',
        MATTERMOST_AUDIT_CHANNEL: 'mmaudit',
        MAX_ACTIVE_PER_USER: '50',
        LOCAL_PROVISIONER_STEP_MS: '0',
        CREDENTIALS_KEY: newCredentialsKey(),
        INVITATION_TTL: '30m',
      },
      clock,
      jobs,
      notifiers: Object.values(notifiers),
      provisioner: (configured) => (provisioner = new FaultyProvisioner(configured)),
    });
    // The oldest entry is past the retention period, so the retention job has something to purge.
    await appendAudit(database.db, clock, {
      eventType: 'command.invoked',
      actor: { type: 'user', id: USERS.alice.id, name: USERS.alice.name },
      platform: 'slack',
      outcome: 'ok',
      occurredAt: new Date(clock.now().getTime() - 200 * 86_400_000),
      details: { command: 'env', text: 'list' },
    });
    return new CoverageHarness(database, s, clock, jobs, provisioner, notifiers);
  }

  async close(): Promise<void> {
    await this.database.drop();
  }

  async invoke(invocation: Invocation): Promise<Invoked> {
    const reply = await handleInvocation(this.s, invocation);
    const chatEntries = await this.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.requestId, invocation.requestId), inArray(auditLog.eventType, ['command.invoked', 'action.clicked'])))
      .orderBy(asc(auditLog.id));
    return { reply, chatEntries };
  }

  /** Runs every job that is due, and those they enqueue, until none is due. */
  async drain(): Promise<void> {
    for (let job = this.jobs.takeDue(); job; job = this.jobs.takeDue()) await this.run(job);
  }

  /** Moves the clock on by `ms` and runs what became due. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.drain();
  }

  private async run(job: { name: JobName; jobId: string; payload: unknown; runAt: number }): Promise<void> {
    const processor = this.processors[job.name] as JobProcessor<JobName>;
    for (let attempt = 1; attempt <= JOBS[job.name].attempts; attempt += 1) {
      const since = await this.lastAuditId();
      let error: unknown;
      try {
        await processor(job.payload as JobPayload<JobName>, { jobId: job.jobId, attempt, signal: new AbortController().signal, log: silentLogger });
      } catch (caught) {
        error = caught;
      }
      const events = await this.auditEventsAfter(since);
      this.runs.push({ name: job.name, jobId: job.jobId, attempt, events, failed: error !== undefined });
      if (error === undefined) {
        this.jobs.complete({ ...job });
        return;
      }
      if (isAppError(error) && !error.retry) return;
    }
  }

  private async lastAuditId(): Promise<number> {
    const last = await this.database.pool.query<{ id: string | null }>('select max(id)::text as id from audit_log');
    return Number(last.rows[0]?.id ?? 0);
  }

  private async auditEventsAfter(id: number): Promise<string[]> {
    const rows = await this.s.db.select({ eventType: auditLog.eventType }).from(auditLog).where(gt(auditLog.id, id)).orderBy(asc(auditLog.id));
    return rows.map((row) => row.eventType);
  }

  async trace(): Promise<TraceRow[]> {
    return (await this.database.pool.query<TraceRow>('select txid::text, kind, env_id, from_state, to_state, event_type, category from coverage_trace order by seq')).rows;
  }

  async environment(envId: string): Promise<EnvironmentRow> {
    return getEnvironment(this.s, envId);
  }

  /** `/env request <preset>` as `owner`, without running the jobs it enqueues; returns the new lab's id. */
  async submitRequest(owner: UserRef, presetId: string): Promise<string> {
    const { reply } = await this.invoke(command(owner, 'env', `request ${presetId}`));
    if (reply.outcome !== 'ok') throw new Error(`request of ${presetId} failed: ${reply.view.text}`);
    return envIdIn(reply.view.text);
  }

  /** `/env request <preset>` as `owner`, then the jobs that follow; returns the new lab's id. */
  async request(owner: UserRef, presetId: string): Promise<string> {
    const envId = await this.submitRequest(owner, presetId);
    await this.drain();
    return envId;
  }

  /** A plan waiting for approval, owned by `owner`. */
  pendingPlan(owner: UserRef): Promise<string> {
    return this.request(owner, 'threat-hunting');
  }

  private keys = 0;
  private defaultKey: { id: string; name: string } | undefined;

  /** A cloud key no lab uses (after a default key that is never deleted, so labs always have one). */
  async cloudKey(): Promise<{ id: string; name: string }> {
    this.defaultKey ??= await this.addCloudKey();
    return this.addCloudKey();
  }

  private async addCloudKey(): Promise<{ id: string; name: string }> {
    this.keys += 1;
    const key = await addCloudKey(this.s, {
      actor: chatActor(CASTS.slack.admin),
      key: { name: `coverage-${this.keys}`, provider: 'aws', region: 'eu-west-1', ...newPair() },
      requestId: `coverage-key-${this.keys}`,
    });
    return { id: key.id, name: key.name };
  }

  /** `/team invite @invitee approver` as `admin`, and the DM that follows; returns the invitation's id. */
  async pendingInvitation(admin: UserRef, invitee: UserRef): Promise<string> {
    const { reply } = await this.invoke(command(admin, 'team', `invite ${mention(invitee)} approver`));
    if (reply.outcome !== 'ok') throw new Error(`the invitation of ${invitee.name} failed: ${reply.view.text}`);
    await this.drain();
    const [row] = await this.s.db
      .select({ id: invitations.id })
      .from(invitations)
      .where(and(eq(invitations.platform, invitee.platform), eq(invitations.inviteeId, invitee.id), eq(invitations.state, 'pending')));
    return row!.id;
  }

  /** A running lab of `owner` (a preset approved by policy, deployed by the inline workers). */
  async runningLab(owner: UserRef): Promise<string> {
    const envId = await this.request(owner, 'quick-sandbox');
    const env = await this.environment(envId);
    if (env.state !== 'running') throw new Error(`${envId} is ${env.state}, not running`);
    return envId;
  }
}

/** A command as a door hands it over; the scenarios write only mentions a door would have resolved. */
export function command(user: UserRef, name: string, text: string): CommandInvocation {
  return commandInvocation(user, text, { command: name, channelId: 'CLABS' });
}

export function click(user: UserRef, actionId: ActionId | string, value: string): ActionInvocation {
  return clickInvocation(user, actionId, value, 'CAPPROVALS');
}

export function submit(user: UserRef, callbackId: string, envId: string, reason: string): DialogSubmission {
  return dialogInvocation(user, callbackId, envId, { reason }, 'CAPPROVALS');
}

/** A cloud key form submitted with these fields. */
export function submitForm(user: UserRef, callbackId: string, value: string, fields: Record<string, string>): DialogSubmission {
  return dialogInvocation(user, callbackId, value, fields, 'CADMIN');
}
