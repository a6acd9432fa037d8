/**
 * Slack refuses requests whose timestamp is more than five minutes from local time in either direction. The signature
 * check (`isSignedBySlack`, by Bolt's rules) only refuses the past (stale) side, so the future side is checked here,
 * before the body is read.
 */
export const MAX_TIMESTAMP_SKEW_SECONDS = 300;

export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';

/**
 * Why a request's timestamp header names a time too far ahead, or undefined when it does not. Missing, repeated or
 * non-numeric headers are left to the signature check, which refuses them.
 */
export function futureTimestampProblem(header: string | string[] | undefined, now: Date): string | undefined {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header.trim())) return undefined;
  const requestSeconds = Number(header.trim());
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const ahead = requestSeconds - nowSeconds;
  return ahead > MAX_TIMESTAMP_SKEW_SECONDS
    ? `request timestamp is ${ahead} s in the future (more than ${MAX_TIMESTAMP_SKEW_SECONDS} s)`
    : undefined;
}
