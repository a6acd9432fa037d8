import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import type { ActionId } from '../../blocks/view.js';
import type { ActionInvocation, CommandInvocation, DialogSubmission, MentionedUser } from '../../src/chat/types.js';
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/client.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit.js';
import { environments, type EnvironmentRow } from '../../src/db/schema/environments.js';
import type { UserRef } from '../../src/domain/users.js';
import type { Provisioner } from '../../src/provisioners/port.js';
import type { EnqueueOptions, JobName, JobPayload, JobQueue, JobToAdd } from '../../src/queue/jobs.js';
import type { Services } from '../../src/services.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { clickInvocation, commandInvocation, dialogInvocation, mentioned } from './invocations.js';
import { buildServices } from './services.js';
import { addOneByOne, restoreOneByOne } from './jobs-one-by-one.js';

export interface RecordedJob {
  name: JobName;
  payload: unknown;
  options: EnqueueOptions;
}

/** A JobQueue that keeps what was added and removed; `failWith` makes the next adds throw. */
export class RecordingJobQueue implements JobQueue {
  readonly added: RecordedJob[] = [];
  readonly removed: { name: JobName; jobId: string }[] = [];
  failWith: Error | undefined;

  async add<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.added.push({ name, payload, options });
  }

  addMany(jobs: readonly JobToAdd[]): Promise<void> {
    return addOneByOne(this, jobs);
  }

  restoreMissing(jobs: readonly JobToAdd[]): Promise<JobToAdd[]> {
    return restoreOneByOne(this, jobs);
  }

  async remove(name: JobName, jobId: string): Promise<void> {
    this.removed.push({ name, jobId });
  }

  async has(name: JobName, jobId: string): Promise<boolean> {
    return this.added.some((job) => job.name === name && job.options.jobId === jobId);
  }

  named(name: JobName): RecordedJob[] {
    return this.added.filter((job) => job.name === name);
  }
}

/** The cast of the tests: roles come from ADMINS / APPROVERS, as in production. */
export const users = {
  alice: { platform: 'slack', id: 'U0ALICE', name: 'alice' },
  dave: { platform: 'slack', id: 'U0DAVE', name: 'dave' },
  bob: { platform: 'slack', id: 'U0BOB', name: 'bob' },
  erin: { platform: 'slack', id: 'U0ERIN', name: 'erin' },
  carol: { platform: 'slack', id: 'U0CAROL', name: 'carol' },
  mallory: { platform: 'mattermost', id: 'abcdefghijklmnopqrstuvwxyz', name: 'mallory' },
} as const satisfies Record<string, UserRef>;

export interface CommandTestKit {
  s: Services;
  jobs: RecordingJobQueue;
  clock: ManualClock;
}

export interface CommandTestFile {
  database: TestDatabase;
  kit: CommandTestKit;
}

/** A test database and command services over it for the tests of one file: made before them, dropped after. */
export function commandTestFile(): CommandTestFile {
  const file = {} as CommandTestFile;
  beforeAll(async () => {
    file.database = await createTestDatabase();
    file.kit = await commandServices(file.database.db);
  });
  afterAll(async () => {
    await file.database?.drop();
  });
  return file;
}

/** Commands never deploy or destroy: they ask workflows, which enqueue jobs. */
const commandsNeverProvision: Provisioner = {
  name: 'local',
  deploy: () => Promise.reject(new Error('commands never deploy')),
  destroy: () => Promise.reject(new Error('commands never destroy')),
};

/** Real services over a test database: the real workflows, a manual clock and a recording job queue. */
export async function commandServices(db: Db): Promise<CommandTestKit> {
  const clock = new ManualClock('2026-11-26T12:00:00.000Z');
  const jobs = new RecordingJobQueue();
  const s = await buildServices({
    db,
    settings: {
      ADMINS: `slack:${users.carol.id}`,
      APPROVERS: `slack:${users.bob.id},slack:${users.erin.id}`,
      MAX_ACTIVE_PER_USER: '20',
      MIN_TTL: '15m',
    },
    clock,
    jobs,
    provisioner: commandsNeverProvision,
  });
  return { s, jobs, clock };
}

export function command(user: UserRef, text: string, name = 'env', mentions: readonly MentionedUser[] = []): CommandInvocation {
  return commandInvocation(user, text, { command: name, mentions });
}

export function click(user: UserRef, actionId: ActionId | string, value: string): ActionInvocation {
  return clickInvocation(user, actionId, value);
}

export function submitReason(user: UserRef, envId: string, reason: string | undefined, callbackId = 'rejectReason'): DialogSubmission {
  return dialogInvocation(user, callbackId, envId, reason === undefined ? {} : { reason });
}

export { mentioned };

/** The chat entries (`command.invoked` / `action.clicked`) written for one request. */
export async function chatEntries(db: Db, requestId: string): Promise<AuditRow[]> {
  return db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.requestId, requestId), inArray(auditLog.eventType, ['command.invoked', 'action.clicked'])))
    .orderBy(asc(auditLog.id));
}

/** The one chat entry of a request; fails when there is not exactly one. */
export async function chatEntry(db: Db, requestId: string): Promise<AuditRow> {
  const rows = await chatEntries(db, requestId);
  if (rows.length !== 1) throw new Error(`expected one chat audit entry for ${requestId}, found ${rows.length}`);
  return rows[0]!;
}

export async function domainEvents(db: Db, envId: string): Promise<string[]> {
  const rows = await db
    .select({ eventType: auditLog.eventType })
    .from(auditLog)
    .where(and(eq(auditLog.resourceId, envId), eq(auditLog.category, 'environments')))
    .orderBy(asc(auditLog.id));
  return rows.map((row) => row.eventType);
}

export async function environment(db: Db, envId: string): Promise<EnvironmentRow> {
  const [row] = await db.select().from(environments).where(eq(environments.id, envId));
  if (!row) throw new Error(`no environment ${envId}`);
  return row;
}

export async function environmentCount(db: Db): Promise<number> {
  return (await db.select({ id: environments.id }).from(environments)).length;
}

/** Puts a lab straight into `running`, as a finished deploy would: expiry after its TTL, max after the preset's max. */
export async function markRunning(kit: CommandTestKit, envId: string): Promise<EnvironmentRow> {
  const env = await environment(kit.s.db, envId);
  const preset = kit.s.catalog.get(env.presetId);
  const now = kit.clock.now();
  const [row] = await kit.s.db
    .update(environments)
    .set({
      state: 'running',
      runningAt: now,
      expiresAt: new Date(now.getTime() + env.ttlSeconds * 1000),
      maxExpiresAt: new Date(now.getTime() + preset.maxTtlSeconds * 1000),
      endpoints: Object.fromEntries(preset.tools.map((tool) => [tool.id, `https://${envId}.labs.example/${tool.id}`])),
      updatedAt: now,
    })
    .where(eq(environments.id, envId))
    .returning();
  return row!;
}

/** The env id a request acknowledgement names. */
export function envIdIn(text: string): string {
  const match = /env-[a-z0-9]{6}/.exec(text);
  if (!match) throw new Error(`no environment id in: ${text}`);
  return match[0];
}
