import { appendAudit } from '../src/audit/append.js';
import { actedBy } from '../src/audit/types.js';
import type { Actor } from '../src/domain/actor.js';
import { isAppError, outcomeOf, type Outcome } from '../src/errors.js';
import type { Services } from '../src/services.js';

export interface ConsoleAction {
  /** What the member pressed: `extend`, `destroy`. */
  name: string;
  /** What it was about. */
  resource: { type: string; id: string };
  details?: Record<string, unknown>;
  requestId: string;
}

/**
 * Runs what a console button asks of a workflow and writes its one `action.clicked` entry with the outcome, as a chat
 * button does: refusals are audited (denied, invalid) as well as successes; the workflow writes its own entries.
 */
export async function runConsoleAction<T>(s: Pick<Services, 'db' | 'clock' | 'log'>, actor: Actor, action: ConsoleAction, run: () => Promise<T>): Promise<T> {
  let outcome: Outcome = 'ok';
  let code: string | undefined;
  try {
    return await run();
  } catch (error) {
    outcome = outcomeOf(error);
    code = isAppError(error) ? error.code : 'internal';
    throw error;
  } finally {
    await appendAudit(s.db, s.clock, {
      eventType: 'action.clicked',
      ...actedBy(actor, { action: action.name, ...action.details, ...(code ? { error: code } : {}) }),
      platform: actor.user.platform,
      resource: action.resource,
      outcome,
      requestId: action.requestId,
    }).catch((error: unknown) => s.log.error({ err: error, action: action.name, outcome }, 'could not write the audit entry of a console action'));
  }
}
