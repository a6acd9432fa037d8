/**
 * Removes credentials from engine output before any of it is logged, stored or shown. Pulumi masks its own secrets,
 * but provider errors can echo access key ids, and a passphrase or token could appear in a failed command's text.
 */
/** Each pattern has no group (the whole match goes) or two: a name and a separator that stay. */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/g, // AWS access key, session and principal ids
  /\b(aws_secret_access_key|aws_session_token|secret_access_key|session_token|PULUMI_CONFIG_PASSPHRASE|PULUMI_ACCESS_TOKEN)(\s*[=:]\s*)\S+/gi,
  /\bpul-[0-9a-f]{40}\b/g, // Pulumi Cloud access tokens
  /(X-Amz-(?:Signature|Credential|Security-Token))(=)[^&\s]+/gi, // presigned URLs
];

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function scrubEngineText(text: string, knownSecrets: readonly string[] = []): string {
  let clean = text.replace(ANSI, '');
  for (const secret of knownSecrets) if (secret.length >= 4) clean = clean.replaceAll(secret, '[redacted]');
  for (const pattern of CREDENTIAL_PATTERNS) {
    clean = clean.replace(pattern, (match: string, name?: string, separator?: string) =>
      typeof name === 'string' && typeof separator === 'string' ? `${name}${separator}[redacted]` : '[redacted]',
    );
  }
  return clean;
}

/** Cuts a text to `max` characters on one line. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
