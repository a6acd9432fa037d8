import { z } from 'zod';
import { DOORS, KEY_SCOPES } from '../domain/actor.js';
import { PLATFORMS } from '../domain/users.js';

const envId = z.string().regex(/^env-[a-z0-9]{6}$/);
const invitationId = z.string().regex(/^inv-[a-z0-9]{10}$/);
const isoTime = z.iso.datetime();
/**
 * Who asked for an audit job: the answer goes to their user by DM, and the job's entry names them as they acted (the
 * door, and the API key when one asked; a payload without a door was asked in chat).
 */
const auditRequester = z.object({
  requestId: z.string().min(1),
  platform: z.enum(PLATFORMS),
  userId: z.string().min(1),
  userName: z.string(),
  channelId: z.string(),
  door: z.enum(DOORS).optional(),
  apiKey: z.object({ id: z.string().min(1), name: z.string(), prefix: z.string().min(1), scope: z.enum(KEY_SCOPES) }).optional(),
});

/** What `notify` jobs announce in chat; the processor renders the message from Postgres at send time. */
export const NOTIFY_EVENTS = [
  'plan.created', // post the approval card (or the auto-approval note) and remember where it is
  'plan.decided', // edit the approval card (approved / rejected / expired) and DM the requester
  'deployment.completed', // DM the owner with endpoints; note in the card's thread
  'deployment.failed', // DM the owner; note in the card's thread
  'destroy.completed', // DM the owner (expired or destroyed); note in the card's thread
  'destroy.failed', // DM the owner and alert admins
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What `invitation-notify` jobs do: send the invitee's DM card, or show how the invitation ended (card and inviter). */
export const INVITATION_NOTICES = ['sent', 'closed'] as const;
export type InvitationNotice = (typeof INVITATION_NOTICES)[number];

/**
 * Every job the workers run, with its payload schema, retry settings and time limit. Job ids are deterministic (see
 * `jobIds`), so adding the same job twice runs it once.
 */
export const JOBS = {
  deploy: {
    payload: z.object({ envId }),
    attempts: 3,
    backoffMs: 5_000,
    timeoutMs: 30 * 60_000,
  },
  destroy: {
    payload: z.object({ envId }),
    attempts: 5,
    backoffMs: 5_000,
    timeoutMs: 30 * 60_000,
  },
  remind: {
    payload: z.object({ envId, offsetSeconds: z.number().int().positive(), expiresAt: isoTime }),
    attempts: 5,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  expire: {
    payload: z.object({ envId, expiresAt: isoTime }),
    attempts: 5,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  'approval-expire': {
    payload: z.object({ envId }),
    attempts: 5,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  notify: {
    payload: z.object({ envId, event: z.enum(NOTIFY_EVENTS) }),
    attempts: 6,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  /** A pending invitation at its expiry: it expires, unless it was answered or replaced. */
  'invitation-expire': {
    payload: z.object({ invitationId }),
    attempts: 5,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  'invitation-notify': {
    payload: z.object({ invitationId, notice: z.enum(INVITATION_NOTICES) }),
    attempts: 6,
    backoffMs: 2_000,
    timeoutMs: 60_000,
  },
  'audit-export': {
    payload: auditRequester.extend({
      filters: z.object({
        from: isoTime,
        to: isoTime,
        types: z.array(z.string()),
        actorId: z.string().optional(),
        resourceId: z.string().optional(),
        resourceType: z.string().optional(),
      }),
    }),
    attempts: 3,
    backoffMs: 5_000,
    timeoutMs: 10 * 60_000,
  },
  reconcile: {
    payload: z.object({}),
    attempts: 1,
    backoffMs: 1_000,
    timeoutMs: 5 * 60_000,
  },
  'audit-retention': {
    payload: z.object({}),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 30 * 60_000,
  },
  /** The chain check: `/audit verify` (with its requester, and maybe a published head) or the daily schedule (neither). */
  'audit-verify': {
    payload: z.object({
      requestedBy: auditRequester.optional(),
      head: z.object({ id: z.number().int().positive(), hash: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
    }),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 30 * 60_000,
  },
  /** The daily publication of the chain head to the audit channels (`/audit head` publishes on demand). */
  'audit-head': {
    payload: z.object({}),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 5 * 60_000,
  },
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];

/** How often a job is tried, how long it waits between tries, and how long one try may take. */
export interface RetrySettings {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

/**
 * Per-name replacements of the settings in JOBS. Production uses JOBS as they are; tests shrink backoffs and
 * timeouts instead of waiting for real ones.
 */
export type RetryOverrides = Partial<Record<JobName, Partial<RetrySettings>>>;

export function retrySettingsOf(name: JobName, overrides: RetryOverrides = {}): RetrySettings {
  const { attempts, backoffMs, timeoutMs } = JOBS[name];
  return { attempts, backoffMs, timeoutMs, ...overrides[name] };
}

/** Deterministic job ids. BullMQ ids may not contain ':'. */
export const jobIds = {
  deploy: (envId: string) => `deploy-${envId}`,
  destroy: (envId: string) => `destroy-${envId}`,
  remind: (envId: string, offsetSeconds: number, expiresAt: Date) => `remind-${envId}-${offsetSeconds}s-${expiresAt.getTime()}`,
  expire: (envId: string, expiresAt: Date) => `expire-${envId}-${expiresAt.getTime()}`,
  approvalExpire: (envId: string) => `approval-expire-${envId}`,
  auditExport: (requestId: string) => `audit-export-${requestId}`,
  auditVerify: (requestId: string) => `audit-verify-${requestId}`,
  notify: (envId: string, event: NotifyEvent) => `notify-${envId}-${event.replace('.', '-')}`,
  invitationExpire: (invitationId: string) => `invitation-expire-${invitationId}`,
  invitationNotify: (invitationId: string, notice: InvitationNotice) => `invitation-notify-${invitationId}-${notice}`,
} as const;

export interface EnqueueOptions {
  jobId: string;
  /** Run at this time (delayed job); omitted or past means now. */
  runAt?: Date;
}

/** One job to add: its name, payload and id (and time). */
export type JobToAdd = { [N in JobName]: { name: N; payload: JobPayload<N>; options: EnqueueOptions } }[JobName];

/** The producer side of the queues: what workflows use to schedule work. */
export interface JobQueue {
  add<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions): Promise<void>;
  /**
   * `add` for many jobs at once, by the same id rules: one round of state checks and bulk adds, not a round trip each.
   * With `newIds` the caller vouches that no job ever had these ids (a new plan's first jobs, named after its new id),
   * and they are added without the state check: an id that was taken after all stays as it is.
   */
  addMany(jobs: readonly JobToAdd[], options?: { newIds?: boolean }): Promise<void>;
  /**
   * For the reconciler: adds every job that will not run as things stand (missing, or finished: a completed or failed
   * job with the same id is removed first, since it would make the add a no-op). Returns the jobs it added.
   */
  restoreMissing(jobs: readonly JobToAdd[]): Promise<JobToAdd[]>;
  /** Removes a waiting or delayed job (a timer that no longer applies); missing jobs are fine. */
  remove(name: JobName, jobId: string): Promise<void>;
  /** True when a job with this id exists (waiting, delayed, active or failed-pending-retry). For the reconciler. */
  has(name: JobName, jobId: string): Promise<boolean>;
}
