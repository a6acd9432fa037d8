import { runAuditRetention } from '../src/audit/retention.js';
import type { Processors } from '../src/queue/run-job.js';
import type { Services } from '../src/services.js';
import { runAuditExport } from './audit-export.js';
import { runAuditHead } from './audit-head.js';
import { runAuditVerify } from './audit-verify.js';
import { runDeploy } from './deploy.js';
import { runDestroy } from './destroy-job.js';
import { runApprovalExpiry, runExpire } from './expire.js';
import { runInvitationExpire, runInvitationNotify } from './invitations.js';
import { runNotify } from './notify.js';
import { runReconcile } from './reconcile.js';
import { runRemind } from './remind.js';

export interface ProcessorHooks {
  /** Seconds a reminder or expiry job started after its due time. */
  timerLateness?(kind: 'remind' | 'expire', seconds: number): void;
}

/** Binds every job of JOBS to its workflow step. */
export function createProcessors(s: Services, hooks: ProcessorHooks = {}): Processors {
  const late = (kind: 'remind' | 'expire', dueAt: number) =>
    hooks.timerLateness?.(kind, Math.max(0, (s.clock.now().getTime() - dueAt) / 1000));
  return {
    deploy: (payload, run) => runDeploy(s, payload.envId, run),
    destroy: (payload, run) => runDestroy(s, payload.envId, run),
    remind: (payload, run) => {
      if (run.attempt === 1) late('remind', Date.parse(payload.expiresAt) - payload.offsetSeconds * 1000);
      return runRemind(s, payload);
    },
    expire: (payload, run) => {
      if (run.attempt === 1) late('expire', Date.parse(payload.expiresAt));
      return runExpire(s, payload);
    },
    'approval-expire': (payload) => runApprovalExpiry(s, payload),
    notify: (payload) => runNotify(s, payload),
    'invitation-expire': (payload) => runInvitationExpire(s, payload),
    'invitation-notify': (payload) => runInvitationNotify(s, payload),
    'audit-export': async (payload) => {
      await runAuditExport(s, payload);
    },
    reconcile: async () => {
      await runReconcile(s);
    },
    'audit-retention': async () => {
      await runAuditRetention(s);
    },
    'audit-verify': async (payload) => {
      await runAuditVerify(s, payload);
    },
    'audit-head': async () => {
      await runAuditHead(s);
    },
  };
}
