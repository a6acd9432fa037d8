import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import {
  DIALOG_STATE_MAX_AGE_MS,
  matchesCommandToken,
  signActionContext,
  signDialogState,
  verifyActionContext,
  verifyDialogState,
  type ActionContext,
} from '../../src/chat/mattermost/signing.js';

const SECRET = 'action-secret-for-tests';

describe('signed button context', () => {
  const clock = new ManualClock('2026-11-26T12:00:00.000Z');
  const signed = signActionContext(SECRET, { actionId: 'approve', value: 'env-7k2p9q' }, clock);

  it('verifies a context it signed and returns the action', () => {
    const verified = verifyActionContext(SECRET, signed, clock);
    expect(verified).toEqual({ ok: true, value: { actionId: 'approve', value: 'env-7k2p9q', issuedAt: new Date('2026-11-26T12:00:00.000Z') } });
  });

  it('signs every button with a fresh nonce', () => {
    const again = signActionContext(SECRET, { actionId: 'approve', value: 'env-7k2p9q' }, clock);
    expect(again.nonce).not.toBe(signed.nonce);
    expect(again.signature).not.toBe(signed.signature);
  });

  const tampered: [keyof ActionContext, string][] = [
    ['actionId', 'reject'],
    ['value', 'env-aaaaaa'],
    ['issuedAt', '2026-11-26T12:00:00.001Z'],
    ['nonce', 'AAAAAAAAAAAAAAAA'],
    ['signature', `${signed.signature.slice(0, -1)}${signed.signature.endsWith('0') ? '1' : '0'}`],
  ];
  it.each(tampered)('refuses a context whose %s was changed', (field, replacement) => {
    const forged = { ...signed, [field]: replacement };
    const verified = verifyActionContext(SECRET, forged, clock);
    expect(verified.ok).toBe(false);
  });

  it('refuses a context signed with another secret', () => {
    const foreign = signActionContext('another-secret', { actionId: 'approve', value: 'env-7k2p9q' }, clock);
    expect(verifyActionContext(SECRET, foreign, clock)).toEqual({ ok: false, reason: 'the button signature does not match' });
  });

  it.each([
    ['nothing', undefined],
    ['a string', 'approve'],
    ['a missing signature', { actionId: 'approve', value: 'env-7k2p9q', issuedAt: signed.issuedAt, nonce: signed.nonce }],
    ['a non-hex signature', { ...signed, signature: 'z'.repeat(64) }],
    ['a short signature', { ...signed, signature: signed.signature.slice(0, 10) }],
    ['numbers for strings', { ...signed, value: 42 }],
  ])('refuses %s', (_label, context) => {
    expect(verifyActionContext(SECRET, context, clock).ok).toBe(false);
  });

  it('refuses a correctly signed but unknown action or malformed value (a leaked secret still cannot go further)', () => {
    const unknown = signActionContext(SECRET, { actionId: 'approve', value: 'env-7k2p9q' }, clock);
    // Re-sign by hand with fields the renderer never produces.
    const evil = signActionContext(SECRET, { actionId: 'deleteEverything' as 'approve', value: 'env-7k2p9q' }, clock);
    const badValue = signActionContext(SECRET, { actionId: 'approve', value: 'env 7k2p9q; drop table' }, clock);
    expect(verifyActionContext(SECRET, unknown, clock).ok).toBe(true);
    expect(verifyActionContext(SECRET, evil, clock)).toEqual({ ok: false, reason: 'unknown action "deleteEverything"' });
    expect(verifyActionContext(SECRET, badValue, clock)).toEqual({ ok: false, reason: 'the button value is malformed' });
  });

  it('refuses a context issued in the future beyond clock skew, accepts old ones', () => {
    const later = new ManualClock('2026-11-26T12:10:00.000Z');
    const fromTheFuture = signActionContext(SECRET, { actionId: 'approve', value: 'env-7k2p9q' }, later);
    expect(verifyActionContext(SECRET, fromTheFuture, clock)).toEqual({ ok: false, reason: 'the button was issued at an impossible time' });
    const weeksLater = new ManualClock('2026-12-24T12:00:00.000Z');
    expect(verifyActionContext(SECRET, signed, weeksLater).ok).toBe(true);
  });
});

describe('signed dialog state', () => {
  const clock = new ManualClock('2026-11-26T12:00:00.000Z');
  const state = signDialogState(SECRET, { callbackId: 'rejectReason', value: 'env-7k2p9q', userId: 'approver1' }, clock);

  it('round-trips', () => {
    const verified = verifyDialogState(SECRET, state, clock);
    expect(verified).toMatchObject({ ok: true, value: { callbackId: 'rejectReason', value: 'env-7k2p9q', userId: 'approver1' } });
  });

  it('refuses an altered payload, signature or a state from another secret', () => {
    const [payload, signature] = state.split('.') as [string, string];
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as string[];
    fields[1] = 'env-aaaaaa';
    const altered = `${Buffer.from(JSON.stringify(fields)).toString('base64url')}.${signature}`;
    expect(verifyDialogState(SECRET, altered, clock)).toEqual({ ok: false, reason: 'the dialog signature does not match' });
    expect(verifyDialogState(SECRET, `${payload}.${'0'.repeat(64)}`, clock).ok).toBe(false);
    expect(verifyDialogState('other', state, clock).ok).toBe(false);
    expect(verifyDialogState(SECRET, `${state}.extra`, clock).ok).toBe(false);
    expect(verifyDialogState(SECRET, 'garbage', clock).ok).toBe(false);
    expect(verifyDialogState(SECRET, 42, clock).ok).toBe(false);
  });

  it('does not accept a button context as a dialog state (separate domains)', () => {
    const context = signActionContext(SECRET, { actionId: 'reject', value: 'env-7k2p9q' }, clock);
    const disguised = `${Buffer.from(JSON.stringify(['rejectReason', 'env-7k2p9q', 'approver1', context.issuedAt])).toString('base64url')}.${context.signature}`;
    expect(verifyDialogState(SECRET, disguised, clock).ok).toBe(false);
  });

  it('expires', () => {
    const later = new ManualClock(new Date(clock.now().getTime() + DIALOG_STATE_MAX_AGE_MS + 1));
    expect(verifyDialogState(SECRET, state, later)).toEqual({ ok: false, reason: 'the dialog has expired' });
  });
});

describe('command token check', () => {
  const tokens = ['envtoken1234567890abcdefgh', 'audittoken1234567890abcdef'];

  it('accepts each configured token and nothing else', () => {
    expect(matchesCommandToken(tokens[0], tokens)).toBe(true);
    expect(matchesCommandToken(tokens[1], tokens)).toBe(true);
    for (const wrong of ['', undefined, 'envtoken1234567890abcdefg', 'envtoken1234567890abcdefghX', tokens[0]!.toUpperCase(), `${tokens[0]},${tokens[1]}`]) {
      expect(matchesCommandToken(wrong, tokens)).toBe(false);
    }
    expect(matchesCommandToken(tokens[0], [])).toBe(false);
  });

  it('compares fixed-length digests, so tokens of any length are checked without throwing or leaking length', () => {
    // timingSafeEqual throws on buffers of different lengths: these pass only because both sides are hashed first.
    for (const candidate of ['x', 'y'.repeat(10_000), 'é', '\u0000']) {
      expect(() => matchesCommandToken(candidate, tokens)).not.toThrow();
      expect(matchesCommandToken(candidate, tokens)).toBe(false);
    }
  });
});
