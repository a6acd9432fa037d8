import { describe, expect, it } from 'vitest';
import { futureTimestampProblem, MAX_TIMESTAMP_SKEW_SECONDS } from '../../src/chat/slack/timestamp.js';

const now = new Date('2026-11-26T12:00:00.000Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

describe('future timestamp check (the side the signature check does not check)', () => {
  it('refuses a timestamp more than 300 s ahead', () => {
    expect(futureTimestampProblem(String(nowSeconds + MAX_TIMESTAMP_SKEW_SECONDS + 1), now)).toBe(
      'request timestamp is 301 s in the future (more than 300 s)',
    );
    expect(futureTimestampProblem(String(nowSeconds + 86_400 * 365), now)).toMatch(/in the future/);
  });

  it('accepts up to 300 s ahead, the present and the past (the past is the signature check’s)', () => {
    expect(futureTimestampProblem(String(nowSeconds + MAX_TIMESTAMP_SKEW_SECONDS), now)).toBeUndefined();
    expect(futureTimestampProblem(String(nowSeconds), now)).toBeUndefined();
    expect(futureTimestampProblem(String(nowSeconds - 10_000), now)).toBeUndefined();
  });

  it('counts whole seconds as Slack does (sub-second time does not shift the boundary)', () => {
    const late = new Date(now.getTime() + 999);
    expect(futureTimestampProblem(String(nowSeconds + 300), late)).toBeUndefined();
    expect(futureTimestampProblem(String(nowSeconds + 301), late)).toBeDefined();
  });

  it('leaves missing, repeated and non-numeric headers to Bolt, which refuses them', () => {
    for (const header of [undefined, ['1', '2'], '', 'abc', '1e12', '-5', '12.5']) {
      expect(futureTimestampProblem(header, now)).toBeUndefined();
    }
  });
});
