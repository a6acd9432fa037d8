/**
 * The one error type the app raises on purpose. `code` is stable (tests and metrics key on it), `message` is safe to
 * show to users, and `retry` tells the job runner whether trying again can help (`false` becomes UnrecoverableError).
 */
export class AppError extends Error {
  readonly code: string;
  readonly retry: boolean;
  /** What the user should see alongside the message: the usage of the command, the allowed range, etc. */
  readonly hint: string | undefined;
  /**
   * The process cannot get past this with its own settings (a CREDENTIALS_KEY that does not open the stored check
   * value): the entry point logs it and stops gracefully, handing its jobs back for a process that can do them.
   */
  readonly stopsProcess: boolean;

  constructor(code: string, message: string, options: { retry?: boolean; hint?: string; cause?: unknown; stopsProcess?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retry = options.retry ?? false;
    this.hint = options.hint;
    this.stopsProcess = options.stopsProcess ?? false;
  }
}

/** True for an error after which this process must stop (see `AppError.stopsProcess`). */
export function stopsProcess(error: unknown): error is AppError {
  return isAppError(error) && error.stopsProcess;
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Outcome classes of user-facing refusals, as written to the audit log. */
export type Outcome = 'ok' | 'denied' | 'invalid' | 'error';

const DENIED_CODES = new Set([
  'forbidden', 'self_approval', 'quota_exceeded', 'not_owner',
  // The team's rules: not in the team, one's own place, the configured admins, the last admin, someone else's invitation.
  'not_in_team', 'own_membership', 'configured_admin', 'last_admin', 'not_invitee',
]);

/** Maps an error to the audit outcome it stands for: policy refusals are `denied`, bad input `invalid`, the rest `error`. */
export function outcomeOf(error: unknown): Outcome {
  if (!isAppError(error)) return 'error';
  if (DENIED_CODES.has(error.code)) return 'denied';
  if (error.retry) return 'error';
  return error.code === 'unavailable' || error.code === 'internal' ? 'error' : 'invalid';
}
