import { runAuditExport } from '../src/audit/export-job.js';
import { runAuditRetention } from '../src/audit/retention.js';
import type { Processors } from '../src/queue/run-job.js';
import type { Services } from '../src/services.js';
import { runDeploy } from './deploy.js';
import { runDestroy } from './destroy-job.js';
import { runApprovalExpiry, runExpire } from './expire.js';
import { runNotify } from './notify.js';
import { runReconcile } from './reconcile.js';
import { runRemind } from './remind.js';

/** Binds every job of the catalog to its workflow step. */
export function createProcessors(s: Services): Processors {
  return {
    deploy: (payload, run) => runDeploy(s, payload.envId, run),
    destroy: (payload, run) => runDestroy(s, payload.envId, run),
    remind: (payload) => runRemind(s, payload),
    expire: (payload) => runExpire(s, payload),
    'approval-expire': (payload) => runApprovalExpiry(s, payload),
    notify: (payload) => runNotify(s, payload),
    'audit-export': async (payload) => {
      await runAuditExport(s, payload);
    },
    reconcile: async () => {
      await runReconcile(s);
    },
    'audit-retention': async () => {
      await runAuditRetention(s);
    },
  };
}
