import { isValidSlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSignedBySlack } from '../../src/chat/slack/inbound-guard.js';
import { slackSignature } from '../fakes/slack-signing.js';

const SECRET = 'signing-secret';
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;

/** Bolt's own check of the same request, at the same moment. */
function boltSays(body: Buffer, signature: string, timestampHeader: string): boolean {
  const timestamp = Number(timestampHeader);
  if (!Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({ signingSecret: SECRET, body: body.toString(), headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }, nowMilliseconds: NOW_MS });
}

function ours(body: Buffer, signature: string, timestampHeader: string): boolean {
  return isSignedBySlack(SECRET, { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestampHeader }, body, NOW_MS);
}

describe('the Slack signature check', () => {
  it('takes a request signed now, and refuses it with another secret, another body or a stale timestamp', () => {
    const body = 'command=%2Fenv&text=list';
    const signature = slackSignature(SECRET, NOW_S, body);
    expect(ours(Buffer.from(body), signature, String(NOW_S))).toBe(true);
    expect(ours(Buffer.from(body), slackSignature('other', NOW_S, body), String(NOW_S))).toBe(false);
    expect(ours(Buffer.from(`${body}x`), signature, String(NOW_S))).toBe(false);
    expect(ours(Buffer.from(body), slackSignature(SECRET, NOW_S - 301, body), String(NOW_S - 301))).toBe(false);
    expect(ours(Buffer.from(body), slackSignature(SECRET, NOW_S - 300, body), String(NOW_S - 300))).toBe(true);
  });

  it('agrees with Bolt on any body, timestamp and signature, signed or not', () => {
    const timestamp = fc.oneof(
      fc.integer({ min: -400, max: 400 }).map((offset) => String(NOW_S + offset)),
      fc.constantFrom('', 'soon', '0', ` ${NOW_S}`, `0${NOW_S}`, `${NOW_S}.5`, 'Infinity'),
    );
    const body = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')));
    const signing = fc.constantFrom('right', 'right-v1', 'right-extra', 'other-secret', 'garbage', 'empty', 'version-only');
    fc.assert(
      fc.property(body, timestamp, signing, (text, header, how) => {
        const bytes = Buffer.from(text, 'latin1');
        const right = slackSignature(SECRET, Number(header), bytes.toString());
        const signature = {
          right,
          'right-v1': right.replace(/^v0=/, 'v1='),
          'right-extra': `${right}=more`,
          'other-secret': slackSignature('other', Number(header), bytes.toString()),
          garbage: 'v0=deadbeef',
          empty: '',
          'version-only': 'v0=',
        }[how];
        expect(ours(bytes, signature, header)).toBe(boltSays(bytes, signature, header));
      }),
      { numRuns: 500 },
    );
  });
});
