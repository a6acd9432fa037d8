import { AppError, isAppError } from '../../errors.js';
import { isEngineError, type EngineError } from './engine.js';

export type LabOperation = 'deploy' | 'destroy' | 'refresh' | 'status';

export interface FailureContext {
  operation: LabOperation;
  /** The stack, as `<project>/<env id>`. */
  stack: string;
  /** A more precise reason than the command's output, such as the engine's first error diagnostic. */
  reason?: string | undefined;
}

const DOCS = 'see docs/pulumi.md';

/**
 * The AppError a failed Pulumi operation becomes. `retry` says whether trying again can help: a stack held by another
 * update or a cloud failure can; missing credentials, refused permissions, an undecryptable stack or a missing CLI
 * cannot until an operator acts. Messages are safe to show: engine text reaching here is already scrubbed.
 */
export function appErrorOf(error: unknown, context: FailureContext): AppError {
  if (isAppError(error)) return error;
  if (isEngineError(error)) return fromEngine(error, context);
  return new AppError('provision_failed', `Pulumi ${context.operation} of ${context.stack} failed unexpectedly (details in the worker log).`, {
    retry: true,
    cause: error,
  });
}

function fromEngine(error: EngineError, { operation, stack, reason }: FailureContext): AppError {
  const options = { cause: error };
  switch (error.kind) {
    case 'concurrent_update':
      return new AppError('stack_busy', `Another Pulumi update holds the stack ${stack}; the ${operation} will be tried again.`, {
        ...options,
        retry: true,
        hint: `If no update is running (a worker crashed while it held the lock), an admin can release it with \`pulumi cancel --stack ${stack}\` (${DOCS}).`,
      });
    case 'credentials':
      return new AppError(
        'cloud_credentials',
        `AWS refused or found no credentials for the ${operation} of ${stack}. Give the workers the standard AWS environment (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and try again (${DOCS}).`,
        { ...options, retry: false },
      );
    case 'permissions':
      return new AppError('cloud_permission_denied', `AWS denied the ${operation} of ${stack}: ${reason ?? error.detail}. Grant the workers' AWS identity that permission (${DOCS}).`, {
        ...options,
        retry: false,
      });
    case 'secrets':
      return new AppError('pulumi_secrets', `Pulumi could not decrypt the stack ${stack}: check PULUMI_CONFIG_PASSPHRASE or PULUMI_SECRETS_PROVIDER (${DOCS}).`, {
        ...options,
        retry: false,
      });
    case 'cli_missing':
      return new AppError('pulumi_cli_missing', `The pulumi CLI was not found for the ${operation} of ${stack}: install it on the workers' PATH (${DOCS}).`, {
        ...options,
        retry: false,
      });
    case 'stack_missing':
      return new AppError('stack_missing', `The Pulumi stack ${stack} does not exist.`, { ...options, retry: false });
    case 'failed':
      return new AppError('provision_failed', `Pulumi ${operation} of ${stack} failed: ${reason ?? error.detail}`, { ...options, retry: true });
  }
}
