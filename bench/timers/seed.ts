import { addHours } from 'date-fns';
import type { Db } from '../../src/db/client.js';
import { environments, type NewEnvironmentRow } from '../../src/db/schema/environments.js';

export interface RunningLabsSeed {
  count: number;
  /** The first and last expiry; the labs' expiries are spread evenly between them. */
  firstExpiry: Date;
  lastExpiry: Date;
  presetId: string;
  /** Rows per INSERT. */
  slice?: number;
}

/** Ids `env-<n>` in base 36, unique within one database for up to 36^6 labs. */
export function seededEnvId(index: number): string {
  return `env-${index.toString(36).padStart(6, '0')}`;
}

/**
 * Puts `count` running labs straight into Postgres, as deploys would have left them, one owner each, without timers:
 * scheduling them is the code under measurement.
 */
export async function seedRunningLabs(db: Db, seed: RunningLabsSeed): Promise<string[]> {
  const span = seed.lastExpiry.getTime() - seed.firstExpiry.getTime();
  const runningAt = new Date(seed.firstExpiry.getTime() - 3600_000);
  const ids: string[] = [];
  const slice = seed.slice ?? 1000;
  for (let start = 0; start < seed.count; start += slice) {
    const rows: NewEnvironmentRow[] = [];
    for (let index = start; index < Math.min(seed.count, start + slice); index += 1) {
      const expiresAt = new Date(seed.firstExpiry.getTime() + (seed.count === 1 ? 0 : Math.round((span * index) / (seed.count - 1))));
      const id = seededEnvId(index);
      ids.push(id);
      rows.push({
        id,
        presetId: seed.presetId,
        platform: 'slack',
        ownerId: `U0LAB${index.toString(36).toUpperCase()}`,
        ownerName: `owner ${index}`,
        requestChannelId: 'C0GENERAL',
        state: 'running',
        ttlSeconds: Math.ceil((expiresAt.getTime() - runningAt.getTime()) / 1000),
        requestedAt: runningAt,
        approvalDeadline: addHours(runningAt, 24),
        runningAt,
        expiresAt,
        maxExpiresAt: addHours(expiresAt, 1),
        updatedAt: runningAt,
      });
    }
    await db.insert(environments).values(rows);
  }
  return ids;
}

/** Puts `count` plans waiting for approval straight into Postgres, as `/env request` leaves them, one owner each. */
export async function seedPendingPlans(db: Db, seed: { count: number; presetId: string; ttlSeconds: number; firstIndex?: number }): Promise<string[]> {
  const now = new Date();
  const first = seed.firstIndex ?? 0;
  const ids = Array.from({ length: seed.count }, (_, index) => seededEnvId(first + index));
  for (let start = 0; start < ids.length; start += 1000) {
    await db.insert(environments).values(
      ids.slice(start, start + 1000).map((id, offset): NewEnvironmentRow => ({
        id,
        presetId: seed.presetId,
        platform: 'slack',
        ownerId: `U0PLAN${(first + start + offset).toString(36).toUpperCase()}`,
        ownerName: `owner ${first + start + offset}`,
        requestChannelId: 'C0GENERAL',
        state: 'pending_approval',
        ttlSeconds: seed.ttlSeconds,
        requestedAt: now,
        approvalDeadline: addHours(now, 24),
        updatedAt: now,
      })),
    );
  }
  return ids;
}
