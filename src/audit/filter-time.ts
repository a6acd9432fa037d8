import { AppError } from '../errors.js';

/** `YYYY-MM-DD`, optionally `THH:MM[:SS[.mmm]]` and a zone (`Z` or `±HH:MM`); no zone means UTC. */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** How long the last unit written lasts: an inclusive `--to` reaches the end of it (a day, minute, second or ms). */
const PRECISION_MS = { day: 86_400_000, minute: 60_000, second: 1_000, millisecond: 1 } as const;

/**
 * A `--from` / `--to` value as an instant. `start` gives the first millisecond of what was written, `end` the last: so
 * `--to 2026-11-26` means up to 2026-11-26T23:59:59.999Z and `--to 2026-11-26T10:00` up to 10:00:59.999.
 */
export function parseFilterTime(text: string, edge: 'start' | 'end', flag: string): Date {
  const match = TIME.exec(text.trim());
  if (!match) throw badTime(text, flag);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const parts = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour ?? 0),
    minute: Number(minute ?? 0),
    second: Number(second ?? 0),
    ms: Number((fraction ?? '0').padEnd(3, '0')),
  };
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second, parts.ms);
  if (!sameParts(new Date(local), parts)) throw badTime(text, flag);
  const offsetMs = zone === undefined ? 0 : zoneOffsetMs(zone, text, flag);
  const start = local - offsetMs;
  if (edge === 'start') return new Date(start);
  const precision =
    hour === undefined ? 'day' : second === undefined ? 'minute' : fraction === undefined ? 'second' : 'millisecond';
  return new Date(start + PRECISION_MS[precision] - 1);
}

function sameParts(date: Date, parts: { year: number; month: number; day: number; hour: number; minute: number; second: number }): boolean {
  return (
    date.getUTCFullYear() === parts.year &&
    date.getUTCMonth() === parts.month - 1 &&
    date.getUTCDate() === parts.day &&
    date.getUTCHours() === parts.hour &&
    date.getUTCMinutes() === parts.minute &&
    date.getUTCSeconds() === parts.second
  );
}

function zoneOffsetMs(zone: string, text: string, flag: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) throw badTime(text, flag);
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

function badTime(text: string, flag: string): AppError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return new AppError('invalid_filter', `${flag} "${shown}" is not a date or time.`, {
    hint: `Give a UTC date (2026-11-26) or an ISO 8601 time (2026-11-26T10:00:00Z) after ${flag}.`,
  });
}
