import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CloudKeyPair, FieldProblems } from '../domain/cloud-keys.js';
import { AppError } from '../errors.js';

/** What a check of a pair found: the account it belongs to, or what is wrong with it, by field. */
export type PairCheck = { ok: true; accountId: string } | { ok: false; problems: FieldProblems };

export interface StsOptions {
  region: string;
  /** Another STS endpoint (CLOUDKEY_STS_ENDPOINT); AWS's regional one by default. */
  endpoint?: string;
  /** The whole call, connection included: short enough to answer inside Slack's 3 s. */
  timeoutMs: number;
}

/** Within Slack's 3 s for a modal's answer, with room for the database write that follows. */
export const STS_TIMEOUT_MS = 1500;

/** AWS's answers that mean the pair itself is wrong, and the field each points at. */
const REFUSALS: Record<string, FieldProblems> = {
  InvalidClientTokenId: { accessKeyId: 'AWS does not know this access key id (or it is inactive).' },
  SignatureDoesNotMatch: { secretAccessKey: 'AWS refused this secret access key for the access key id.' },
  AccessDenied: { accessKeyId: 'AWS refused this key pair.' },
  ExpiredToken: { accessKeyId: 'This key pair has expired.' },
};

/**
 * Checks a pair with STS GetCallerIdentity through the AWS SDK: one attempt, no retries, a short time limit. A pair
 * AWS refuses comes back as field problems; AWS out of reach is an `unavailable` AppError (nothing is stored).
 */
export async function checkPairWithSts(pair: CloudKeyPair, options: StsOptions): Promise<PairCheck> {
  const client = new STSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: { accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
  });
  try {
    const answer = await client.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(options.timeoutMs) });
    if (!answer.Account) throw new AppError('unavailable', 'STS answered without an account id.', { retry: true });
    return { ok: true, accountId: answer.Account };
  } catch (error) {
    const refusal = error instanceof Error ? REFUSALS[error.name] : undefined;
    if (refusal) return { ok: false, problems: refusal };
    if (error instanceof AppError) throw error;
    // The SDK's message may quote the request; only the error's name is kept.
    const name = error instanceof Error ? error.name : 'unknown';
    throw new AppError('unavailable', `The key could not be checked with AWS STS (${name.slice(0, 60)}); nothing was stored.`, {
      retry: true,
      hint: 'Try again in a minute; CLOUDKEY_VERIFY=off stores keys without checking them.',
    });
  } finally {
    client.destroy();
  }
}
