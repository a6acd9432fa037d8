import { UTCDate } from '@date-fns/utc';
import { format } from 'date-fns';

/** Formats an instant in UTC whatever the machine's time zone: `formatUtc(d)` → `2026-11-26 14:02 UTC`. */
export function formatUtc(date: Date, pattern = "yyyy-MM-dd HH:mm 'UTC'"): string {
  return format(new UTCDate(date.getTime()), pattern);
}

/** `14:02 UTC`, for "Approved by @x at 14:02 UTC". */
export function formatUtcTime(date: Date): string {
  return formatUtc(date, "HH:mm 'UTC'");
}
