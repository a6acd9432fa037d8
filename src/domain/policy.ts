import { AppError } from '../errors.js';
import { formatDuration } from './durations.js';
import type { Preset } from './presets.js';
import type { Role, UserRef } from './users.js';

/**
 * Who may do what, as pure functions of facts read from Postgres at decision time. Deny by default: anything not
 * allowed here is refused.
 */

export function canDecidePlans(role: Role): boolean {
  return role === 'approver' || role === 'admin';
}

export function canManageRoles(role: Role): boolean {
  return role === 'admin';
}

/** Cloud keys (add, rotate, delete, default, even the list) are for admins alone. */
export function canManageCloudKeys(role: Role): boolean {
  return role === 'admin';
}

export function canExportAudit(role: Role): boolean {
  return role === 'admin';
}

/** Checking the audit chain and publishing its head: admins, like the export. */
export function canVerifyAudit(role: Role): boolean {
  return role === 'admin';
}

export function canSeeAllEnvironments(role: Role): boolean {
  return role === 'admin';
}

/** Listing and revoking everyone's API keys (members manage their own). */
export function canManageAllApiKeys(role: Role): boolean {
  return role === 'admin';
}

export function isSameUser(a: Pick<UserRef, 'platform' | 'id'>, b: Pick<UserRef, 'platform' | 'id'>): boolean {
  return a.platform === b.platform && a.id === b.id;
}

/** Owners act on their own environments; admins on any. */
export function canActOnEnvironment(role: Role, actor: Pick<UserRef, 'platform' | 'id'>, owner: Pick<UserRef, 'platform' | 'id'>): boolean {
  return role === 'admin' || isSameUser(actor, owner);
}

/** Refuses a TTL outside [minimum, preset max], naming the allowed range. */
export function checkRequestedTtl(ttlSeconds: number, preset: Preset, minTtlSeconds: number): void {
  const range = `between ${formatDuration(minTtlSeconds)} and ${formatDuration(preset.maxTtlSeconds)} for ${preset.id}`;
  if (ttlSeconds < minTtlSeconds) {
    throw new AppError('ttl_too_short', `A TTL of ${formatDuration(ttlSeconds)} is too short: it must be ${range}.`);
  }
  if (ttlSeconds > preset.maxTtlSeconds) {
    throw new AppError('ttl_too_long', `A TTL of ${formatDuration(ttlSeconds)} is too long: it must be ${range}.`);
  }
}

export function checkQuota(activeCount: number, maxActive: number): void {
  if (activeCount >= maxActive) {
    throw new AppError(
      'quota_exceeded',
      `You already have ${activeCount} active environment${activeCount === 1 ? '' : 's'}, the most allowed is ${maxActive}.`,
      { hint: 'Destroy one you no longer need (`/env list`, then `/env destroy <env-id>`).' },
    );
  }
}
