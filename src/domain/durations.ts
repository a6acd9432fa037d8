import { milliseconds, secondsToHours } from 'date-fns';
import { z } from 'zod';
import { AppError } from '../errors.js';

/** The units a duration may use, largest first; each may appear once, in this order (`1d12h`, `90m`, `2h30m`). */
const DURATION_PATTERN = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;
/** Upper bound on any duration we accept: far beyond any preset's max TTL, small enough to stay exact. */
export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;

export const DURATION_HELP = 'use a number with s, m, h or d, alone or combined largest first: 15m, 8h, 2d, 1d12h';

/** Parses `1d12h`-style text into whole seconds, or throws an `invalid_duration` AppError saying what is wrong. */
export function parseDuration(text: string): number {
  const input = text.trim().toLowerCase();
  const match = DURATION_PATTERN.exec(input);
  if (input === '' || !match || match.slice(1).every((part) => part === undefined)) {
    throw new AppError('invalid_duration', `"${clip(text)}" is not a duration: ${DURATION_HELP}.`);
  }
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  const totalMs = milliseconds({ days, hours, minutes, seconds });
  const total = totalMs / 1000;
  if (total <= 0) throw new AppError('invalid_duration', `"${clip(text)}" is zero: a duration must be positive.`);
  if (total > MAX_DURATION_SECONDS) {
    throw new AppError('invalid_duration', `"${clip(text)}" is too long: at most ${formatDuration(MAX_DURATION_SECONDS)}.`);
  }
  return total;
}

/** Formats seconds the way users type them: `1d12h`, `15m`, `2h30m`, `45s`. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds <= 0) return '0s';
  const whole = Math.floor(totalSeconds);
  const days = Math.floor(secondsToHours(whole) / 24);
  const hours = secondsToHours(whole) % 24;
  const minutes = Math.floor(whole / 60) % 60;
  const seconds = whole % 60;
  const parts: [number, string][] = [[days, 'd'], [hours, 'h'], [minutes, 'm'], [seconds, 's']];
  return parts.filter(([value]) => value > 0).map(([value, unit]) => `${value}${unit}`).join('');
}

/** Parses a comma-separated list of durations (`24h,1h,15m`), largest first, without duplicates. */
export function parseDurationList(text: string): number[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const values = items.map(parseDuration);
  return [...new Set(values)].sort((a, b) => b - a);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A zod schema that reads duration text with `parse` and reports its error message as the issue. */
function parsedText<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** Duration text (`8h`) as seconds, for the schemas of the configuration and the presets catalog. */
export const durationSchema = parsedText(parseDuration);
/** A comma-separated duration list (`24h,1h,15m`) as seconds, largest first. */
export const durationListSchema = parsedText(parseDurationList);
