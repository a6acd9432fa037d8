import { formatDuration, intervalToDuration } from 'date-fns';
import type { EnvState } from '../../src/domain/lifecycle.js';
import type { View } from '../view.js';

/** "3 days 2 hours 59 minutes" from `now` until `until`; "less than a minute" when nearly there. */
export function timeUntil(until: Date, now: Date): string {
  if (until.getTime() - now.getTime() < 60_000) return 'less than a minute';
  return formatDuration(intervalToDuration({ start: now, end: until }), {
    format: ['years', 'months', 'days', 'hours', 'minutes'],
  });
}

/** The accent that goes with a state: good when usable, warning when on its way, danger when failed. */
export function stateTone(state: EnvState): NonNullable<View['tone']> {
  switch (state) {
    case 'running':
      return 'good';
    case 'deploy_failed':
    case 'destroy_failed':
      return 'danger';
    case 'pending_approval':
    case 'approved':
    case 'deploying':
    case 'destroying':
      return 'warning';
    default:
      return 'neutral';
  }
}

/** Wraps text as inline code, with backticks inside it removed so they cannot end the span early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, '')}\``;
}

/** Joins the lines that are set: the plain-text fallback of a view. */
export function lines(...items: (string | undefined | false)[]): string {
  return items.filter((item): item is string => typeof item === 'string' && item !== '').join('\n');
}
