import { randomInt } from 'node:crypto';
import { AppError } from '../errors.js';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const ENV_ID_PATTERN = /^env-[a-z0-9]{6}$/;

/** A short id users can type: `env-` and six lowercase letters or digits (ambiguous l/o/0/1 left out when generating). */
export function newEnvId(): string {
  let suffix = '';
  for (let index = 0; index < 6; index += 1) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `env-${suffix}`;
}

/** Checks user-typed text is an environment id (case-insensitive), returning it normalised. */
export function parseEnvId(text: string | undefined): string {
  const candidate = (text ?? '').trim().toLowerCase();
  if (!ENV_ID_PATTERN.test(candidate)) {
    const shown = (text ?? '').trim().slice(0, 40);
    throw new AppError(
      'invalid_env_id',
      shown === '' ? 'An environment id is missing.' : `"${shown}" is not an environment id.`,
      { hint: 'Environment ids look like env-7k2p9q; `/env list` shows yours.' },
    );
  }
  return candidate;
}

export const INVITATION_ID_PATTERN = /^inv-[a-z0-9]{10}$/;

/** An invitation's id, carried by its Accept and Decline buttons: `inv-` and ten letters or digits. */
export function newInvitationId(): string {
  let suffix = '';
  for (let index = 0; index < 10; index += 1) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `inv-${suffix}`;
}

/** Checks a button's value is an invitation id. */
export function parseInvitationId(text: string | undefined): string {
  const candidate = (text ?? '').trim().toLowerCase();
  if (!INVITATION_ID_PATTERN.test(candidate)) {
    throw new AppError('invalid_invitation_id', `"${(text ?? '').trim().slice(0, 40)}" is not an invitation.`);
  }
  return candidate;
}
