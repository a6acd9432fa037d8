import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_SECONDS, parseDuration, parseDurationList } from '../../src/domain/durations.js';
import { AppError } from '../../src/errors.js';

function refusal(text: string): AppError {
  try {
    parseDuration(text);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('parseDuration', () => {
  it.each([
    ['15m', 900], ['8h', 28_800], ['2d', 172_800], ['1d12h', 129_600], ['90s', 90], ['2h30m', 9000],
    ['1d2h3m4s', 93_784], [' 8H ', 28_800], ['0d1s', 1],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '   ', 'abc', '-5h', '5', 'h', '1.5h', '1h1d', '1h1h', '8 h', '1w', '0s', '0d0h', '5h-', '１h', '9999999d', '١h'])(
    'refuses %j with a message that says how to write a duration',
    (text) => {
      const error = refusal(text);
      expect(error.code).toBe('invalid_duration');
      expect(error.message.length).toBeGreaterThan(10);
    },
  );

  it('names the problem: zero, too long, not a duration', () => {
    expect(refusal('0m').message).toContain('zero');
    expect(refusal('3651d').message).toContain('too long');
    expect(refusal('soon').message).toContain('is not a duration');
  });

  it('clips a huge input in its message', () => {
    expect(refusal('x'.repeat(10_000)).message.length).toBeLessThan(200);
  });

  it('round-trips every duration it formats (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_SECONDS }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });

  it('sums the parts it is given (property)', () => {
    const part = fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined });
    fc.assert(
      fc.property(part, part, part, part, (d, h, m, s) => {
        const text = `${d === undefined ? '' : `${d}d`}${h === undefined ? '' : `${h}h`}${m === undefined ? '' : `${m}m`}${s === undefined ? '' : `${s}s`}`;
        const total = (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
        if (total === 0) {
          expect(() => parseDuration(text)).toThrow(AppError);
        } else {
          expect(parseDuration(text)).toBe(total);
        }
      }),
    );
  });

  it('never throws anything but an AppError on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        try {
          const seconds = parseDuration(text);
          expect(seconds).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
    );
  });
});

describe('parseDurationList', () => {
  it('sorts largest first and drops duplicates', () => {
    expect(parseDurationList('15m, 24h,1h,60m')).toEqual([86_400, 3600, 900]);
  });
  it('refuses a bad item', () => {
    expect(() => parseDurationList('24h,soon')).toThrow(/soon/);
  });
});

describe('formatDuration', () => {
  it.each([[0, '0s'], [45, '45s'], [900, '15m'], [129_600, '1d12h'], [93_784, '1d2h3m4s']])('%i → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
