import { webApi } from '@slack/bolt';
import { AppError } from '../../errors.js';

/** Slack platform errors that may pass if the call is made again later. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Turns a failed Web API call into an AppError: network trouble, HTTP 5xx and Slack's transient errors retry
 * (`unavailable`); refusals such as `channel_not_found` or `invalid_auth` cannot pass by retrying (`internal`,
 * so a job fails at once and the error names Slack's reason).
 */
export function slackCallError(method: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof webApi.WebAPIPlatformError) {
    const reason = error.data.error;
    const transient = TRANSIENT_PLATFORM_ERRORS.has(reason);
    return new AppError(transient ? 'unavailable' : 'internal', `Slack refused ${method}: ${reason}.`, {
      retry: transient,
      cause: error,
    });
  }
  if (error instanceof webApi.WebAPIHTTPError && error.statusCode < 500) {
    return new AppError('internal', `Slack answered ${method} with HTTP ${error.statusCode}.`, { cause: error });
  }
  return new AppError('unavailable', `Slack could not be reached for ${method}.`, { retry: true, cause: error });
}

/** Runs one Web API call, translating its failure. */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw slackCallError(method, error);
  }
}
