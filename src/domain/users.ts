import { AppError } from '../errors.js';

/**
 * The chat platforms people act from: each is a door with its own user ids. A new door adds its id here; the database
 * checks (a migration), ADMINS / APPROVERS and the job payloads follow this list.
 */
export const PLATFORMS = ['slack', 'mattermost', 'sandbox'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** How messages name each platform. */
export const PLATFORM_NAMES: Readonly<Record<Platform, string>> = { slack: 'Slack', mattermost: 'Mattermost', sandbox: 'Sandbox' };

export const ROLES = ['admin', 'approver', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** A chat user as the platform identifies them; `id` is the platform's own user id (Slack `U…`, Mattermost 26 chars). */
export interface UserRef {
  platform: Platform;
  id: string;
  /** Display name at the time of the interaction (for messages and the audit log; never used for decisions). */
  name: string;
}

/** `slack:U123`, `mattermost:abc123`, `sandbox:alice`: how users are named in configuration (ADMINS, APPROVERS). */
export function userKey(user: Pick<UserRef, 'platform' | 'id'>): string {
  return `${user.platform}:${user.id}`;
}

export function parseRole(text: string | undefined): Role {
  const candidate = (text ?? '').trim().toLowerCase();
  if ((ROLES as readonly string[]).includes(candidate)) return candidate as Role;
  throw new AppError('invalid_role', `"${(text ?? '').slice(0, 40)}" is not a role.`, { hint: `Roles: ${ROLES.join(', ')}.` });
}
