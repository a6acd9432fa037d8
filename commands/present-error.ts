import { errorView } from '../blocks/views/error.js';
import type { View } from '../blocks/view.js';
import { AppError, isAppError, outcomeOf, type Outcome } from '../src/errors.js';
import type { Logger } from '../src/log.js';

export interface PresentedError {
  view: View;
  outcome: Outcome;
  /** Stable code for the audit entry: the AppError's, `unavailable` or `internal`. */
  code: string;
}

// Connection-level failures of Postgres, Redis or the network: the request may work if tried again shortly.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);
// pg's client after its connection broke: "Client has encountered a connection error and is not queryable".
const UNAVAILABLE_MESSAGES = [/timeout exceeded when trying to connect/i, /Connection terminated/i, /Connection is closed/i, /is not queryable/i];

/** True for failures of a backing service rather than of this request, looking through `cause` chains. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const nested = (error as { cause?: unknown; errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some((item) => isUnavailable(item, depth + 1))) return true;
  return isUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * The one place errors become replies. An AppError shows its message and hint; a backing service that is down says so;
 * anything else is logged in full and shown as "Something went wrong" with the request id, never with its details.
 */
export function presentError(error: unknown, requestId: string, logger: Logger): PresentedError {
  // Named once per line: a logger already bound to this request would otherwise repeat the field.
  const log = logger.bindings().requestId === requestId ? logger : logger.child({ requestId });
  if (isAppError(error)) {
    const outcome = outcomeOf(error);
    if (outcome === 'error') log.warn({ err: error, code: error.code }, 'request failed');
    return {
      outcome,
      code: error.code,
      view: errorView({ message: error.message, hint: error.hint, requestId, tone: outcome === 'error' ? 'danger' : 'warning' }),
    };
  }
  if (isUnavailable(error)) {
    log.error({ err: error }, 'backing service unavailable');
    const unavailable = new AppError('unavailable', 'The service is temporarily unavailable.', { retry: true, hint: 'Try again in a minute.' });
    return {
      outcome: 'error',
      code: unavailable.code,
      view: errorView({ message: unavailable.message, hint: unavailable.hint, requestId, tone: 'danger' }),
    };
  }
  log.error({ err: error }, 'unexpected error');
  return {
    outcome: 'error',
    code: 'internal',
    view: errorView({ message: `Something went wrong (request id ${requestId}).`, hint: 'An admin can find the details in the logs under this id.', tone: 'danger' }),
  };
}
