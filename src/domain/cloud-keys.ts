import { randomInt } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Cloud keys: the credentials labs deploy with, managed by admins. A key has a name people type, a provider (AWS
 * today; the list leaves room for others), an access key id and a secret. Only the last four characters of the
 * access key id are ever shown; the pair itself is sealed at rest and never shown again.
 */

export const CLOUD_PROVIDERS = ['aws'] as const;
export type CloudProvider = (typeof CLOUD_PROVIDERS)[number];

/** A key's pair as the deploy gets it: decrypted, for the provisioner of the lab that uses it. */
export interface CloudCredentials {
  /** The key's id (`key-…`), which the lab records. */
  keyId: string;
  name: string;
  provider: CloudProvider;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** The fields of the add and rotate dialogs, by their names in a submission. */
export const CLOUD_KEY_FIELDS = {
  name: 'name',
  provider: 'provider',
  accessKeyId: 'accessKeyId',
  secretAccessKey: 'secretAccessKey',
  region: 'region',
} as const;
export type CloudKeyField = (typeof CLOUD_KEY_FIELDS)[keyof typeof CLOUD_KEY_FIELDS];

export const CLOUD_KEY_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,39}$/;
/** An AWS access key id: AKIA (long-term) or ASIA (temporary) and 16 uppercase letters or digits. */
export const AWS_ACCESS_KEY_ID_PATTERN = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
/** An AWS secret access key: 40 characters of base64. */
export const AWS_SECRET_PATTERN = /^[A-Za-z0-9/+=]{40}$/;
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const CLOUD_KEY_ID_PATTERN = /^key-[a-z0-9]{6}$/;

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

export function newCloudKeyId(): string {
  let suffix = '';
  for (let index = 0; index < 6; index += 1) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `key-${suffix}`;
}

/** A cloud key id carried by a button or a dialog; anything else is refused. */
export function parseCloudKeyId(text: string): string {
  const candidate = text.trim().toLowerCase();
  if (!CLOUD_KEY_ID_PATTERN.test(candidate)) {
    throw new AppError('invalid_cloud_key_id', 'This button or form is not about a cloud key.', { hint: '`/cloudkey list` shows the keys.' });
  }
  return candidate;
}

/** A key name as typed: lowercase letters, digits and dashes. */
export function parseCloudKeyName(text: string | undefined): string {
  const candidate = (text ?? '').trim().toLowerCase();
  if (!CLOUD_KEY_NAME_PATTERN.test(candidate)) {
    throw new AppError('invalid_cloud_key_name', candidate === '' ? 'A key name is missing.' : 'That is not a key name.', {
      hint: 'Key names are 2 to 40 lowercase letters, digits and dashes, like `prod-labs`; `/cloudkey list` shows them.',
    });
  }
  return candidate;
}

/** The access key id as it may be shown: its last four characters. */
export function maskAccessKeyId(accessKeyId: string): string {
  return `…${accessKeyId.slice(-4)}`;
}

/**
 * Text that looks like a key or a secret: an access key id, or a long run of base64 characters. Command text is
 * audited as typed, so such text is refused before anything is written and the dialog is the only way a pair comes in.
 */
export function looksLikeSecret(text: string): boolean {
  return /(AKIA|ASIA)[A-Z0-9]{12,}/i.test(text) || /[A-Za-z0-9/+=]{30,}/.test(text);
}

/** What the add dialog submits. */
export interface CloudKeyInput {
  name: string;
  provider: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** What rotation submits: a new pair. */
export type CloudKeyPair = Pick<CloudKeyInput, 'accessKeyId' | 'secretAccessKey'>;

/** Problems by field, in words that never repeat the value. */
export type FieldProblems = Partial<Record<CloudKeyField, string>>;

export function checkCloudKeyPair(input: CloudKeyPair): FieldProblems {
  const problems: FieldProblems = {};
  if (!AWS_ACCESS_KEY_ID_PATTERN.test(input.accessKeyId.trim())) {
    problems.accessKeyId = 'An AWS access key id is AKIA or ASIA followed by 16 uppercase letters or digits.';
  }
  if (!AWS_SECRET_PATTERN.test(input.secretAccessKey.trim())) {
    problems.secretAccessKey = 'An AWS secret access key is 40 characters long (letters, digits, / + =).';
  }
  return problems;
}

export function checkCloudKeyInput(input: CloudKeyInput): FieldProblems {
  const problems: FieldProblems = {};
  if (!CLOUD_KEY_NAME_PATTERN.test(input.name.trim().toLowerCase())) {
    problems.name = 'Use 2 to 40 lowercase letters, digits and dashes, starting with a letter or digit.';
  }
  if (!(CLOUD_PROVIDERS as readonly string[]).includes(input.provider.trim())) {
    problems.provider = `Choose one of: ${CLOUD_PROVIDERS.join(', ')}.`;
  }
  if (!AWS_REGION_PATTERN.test(input.region.trim())) problems.region = 'Give an AWS region such as eu-west-1.';
  return { ...problems, ...checkCloudKeyPair(input) };
}

/**
 * Input refused field by field. Its message names the fields only; doors show each problem under its field (Slack's
 * `response_action: errors`, Mattermost's dialog errors) and keep the form open.
 */
export class FieldErrors extends AppError {
  constructor(readonly problems: Record<string, string>) {
    super('invalid_fields', `Some fields need another look: ${Object.keys(problems).join(', ')}.`);
  }
}

export function isFieldErrors(error: unknown): error is FieldErrors {
  return error instanceof FieldErrors;
}

/** Throws FieldErrors when there are problems. */
export function refuseProblems(problems: FieldProblems): void {
  const entries = Object.entries(problems).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (entries.length > 0) throw new FieldErrors(Object.fromEntries(entries));
}
