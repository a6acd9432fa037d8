import { and, asc, eq } from 'drizzle-orm';
import { auditLog } from '../../src/db/schema/audit.js';
import type { EnvironmentRow } from '../../src/db/schema/environments.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import type { EnvState } from '../../src/domain/lifecycle.js';
import type { Services } from '../../src/services.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { eventually } from './services.js';

/** What the lab assertions read: the database of a test's services. */
type WithDb = Pick<Services, 'db'>;

/** Waits until a lab reaches `state` (workers move it there). */
export function waitForState(s: WithDb, envId: string, state: EnvState, timeoutMs = 20_000): Promise<EnvironmentRow> {
  return eventually(
    async () => {
      const env = await getEnvironment(s, envId);
      return env.state === state ? env : undefined;
    },
    timeoutMs,
    `${envId} to be ${state}`,
  );
}

/** The lab's audit events in chain order. */
export async function auditTrail(s: WithDb, envId: string): Promise<string[]> {
  const rows = await s.db
    .select({ eventType: auditLog.eventType })
    .from(auditLog)
    .where(and(eq(auditLog.resourceType, 'environment'), eq(auditLog.resourceId, envId)))
    .orderBy(asc(auditLog.id));
  return rows.map((row) => row.eventType);
}

/** How many times each event type occurs in the lab's audit trail. */
export async function eventCounts(s: WithDb, envId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const eventType of await auditTrail(s, envId)) counts[eventType] = (counts[eventType] ?? 0) + 1;
  return counts;
}

/** Tool ids the local provisioner holds for a lab (its "cloud" resources). */
export async function simulatedTools(s: WithDb, envId: string): Promise<string[]> {
  const rows = await s.db.select({ toolId: simulatedResources.toolId }).from(simulatedResources).where(eq(simulatedResources.envId, envId));
  return rows.map((row) => row.toolId).sort();
}

/**
 * The audit event that must exist for a lab to be in each state: a state written without its event would be a
 * half-written change.
 */
export const EVENT_OF_STATE: Partial<Record<EnvState, string>> = {
  pending_approval: 'plan.created',
  approved: 'plan.approved',
  deploying: 'deployment.started',
  running: 'deployment.completed',
  destroying: 'destroy.initiated',
  destroyed: 'destroy.completed',
};
