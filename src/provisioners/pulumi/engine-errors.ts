import { EngineError, type EngineFailureKind } from './engine.js';
import { oneLine, scrubEngineText } from './scrub.js';

/** Error texts of the CLI and the AWS provider, by what they mean for a retry. The first match wins. */
const KINDS: [EngineFailureKind, RegExp][] = [
  ['concurrent_update', /\[409\] Conflict|stack is currently locked|currently locked by/i],
  ['stack_missing', /no stack named .* found/i],
  ['cli_missing', /spawn \S*pulumi ENOENT|pulumi: (command )?not found/i],
  ['secrets', /incorrect passphrase|passphrase must be set|failed to decrypt|constructing secrets manager/i],
  [
    'credentials',
    /no valid credential sources|NoCredentialProviders|failed to refresh cached credentials|InvalidClientTokenId|UnrecognizedClientException|AuthFailure|SignatureDoesNotMatch|ExpiredToken|security token included in the request is (invalid|expired)/i,
  ],
  ['permissions', /UnauthorizedOperation|AccessDenied|not authorized to perform/i],
];

/** Pulumi's own error classes, by name (the SDK's CommandError subclasses). */
const KIND_BY_NAME: Record<string, EngineFailureKind> = {
  ConcurrentUpdateError: 'concurrent_update',
  StackNotFoundError: 'stack_missing',
};

/** Turns anything an Automation API call threw into an EngineError whose text holds no credential. */
export function engineErrorOf(error: unknown, knownSecrets: readonly string[]): EngineError {
  if (error instanceof EngineError) return error;
  const name = error instanceof Error ? error.name : '';
  const text = scrubEngineText(error instanceof Error ? error.message : String(error), knownSecrets);
  const kind = KIND_BY_NAME[name] ?? KINDS.find(([, pattern]) => pattern.test(text))?.[0] ?? 'failed';
  return new EngineError(kind, summarizeEngineOutput(text));
}

/** Lines that say an operation failed without saying why. */
const GENERIC = /^(update failed|destroy failed|refresh failed|preview failed|\d+ errors? occurred:?|code: -?\d+|stdout:|stderr:|err\?:)$/i;

/**
 * The most telling line of a failed command's output: a provider's "* creating …: …" detail, else the first specific
 * "error: …" line, else the first line with text.
 */
export function summarizeEngineOutput(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !GENERIC.test(line));
  const detail = lines.find((line) => line.startsWith('* '))?.slice(2);
  const errorLine = lines
    .map((line) => /\berror: (.+)$/i.exec(line)?.[1]?.trim())
    .find((message): message is string => message !== undefined && !GENERIC.test(message));
  const first = lines.map((line) => line.replace(/^(stdout|stderr|err\?):\s*/i, '')).find((line) => line !== '');
  return oneLine(detail ?? errorLine ?? first ?? 'no output');
}
