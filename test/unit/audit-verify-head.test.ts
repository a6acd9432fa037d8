import { describe, expect, it } from 'vitest';
import { MATTERMOST_LIMITS, SLACK_LIMITS } from '../../blocks/limits.js';
import type { View } from '../../blocks/view.js';
import { chainBreakAlertView, chainHeadView, emptyLogView, headPublishedView, verifyHeadCommand, verifyResultView, verifyStartedView } from '../../blocks/views/audit.js';
import { parseVerifyArgs } from '../../commands/audit-verify.js';
import { auditChannels } from '../../workflows/audit-head.js';
import { loadConfig } from '../../src/config.js';
import { isAppError } from '../../src/errors.js';

const HASH = 'ab'.repeat(32);
const NOW = new Date('2026-11-26T04:00:00.000Z');

function refusal(text: string): string {
  try {
    parseVerifyArgs(text);
  } catch (error) {
    if (isAppError(error)) return `${error.code}: ${error.message} | ${error.hint ?? ''}`;
    throw error;
  }
  throw new Error(`"${text}" was accepted`);
}

function expectWithinLimits(view: View): void {
  expect(view.text.length).toBeGreaterThan(0);
  expect(view.text.length).toBeLessThanOrEqual(MATTERMOST_LIMITS.postMessageLength);
  for (const block of view.blocks) {
    if (block.kind === 'header') expect(block.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerTextLength);
    if (block.kind === 'text' || block.kind === 'context') expect(block.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionTextLength);
  }
}

describe('parseVerifyArgs', () => {
  it('takes no head, or one as id:hash in any of the forms a user may paste', () => {
    expect(parseVerifyArgs('')).toEqual({});
    expect(parseVerifyArgs(`--head 42:${HASH}`)).toEqual({ head: { id: 42, hash: HASH } });
    expect(parseVerifyArgs(`--head=42:${HASH.toUpperCase()}`)).toEqual({ head: { id: 42, hash: HASH } });
    expect(parseVerifyArgs(`--head #42:${HASH}`)).toEqual({ head: { id: 42, hash: HASH } });
    expect(parseVerifyArgs(`\u2014head "42:${HASH}"`)).toEqual({ head: { id: 42, hash: HASH } });
  });

  it('refuses anything else with the usage', () => {
    for (const text of ['--head 42', `--head 42:${HASH}0`, `--head 0:${HASH}`, `--head -1:${HASH}`, `--head 9999999999999999:${HASH}`, `--head abc:${HASH}`]) {
      expect(refusal(text), text).toMatch(/^invalid_arguments: .* is not a published head.*\| Usage: `\/audit verify \[--head <id>:<hash>\]`$/);
    }
    expect(refusal('--head')).toMatch(/^missing_flag_value: --head needs a value, e.g. --head 1234:<64 hex digits>/);
    expect(refusal(`--head 1:${HASH} --head 2:${HASH}`)).toMatch(/^duplicate_flag/);
    expect(refusal('everything')).toMatch(/^invalid_arguments: Unexpected "everything": verify takes only --head\./);
    expect(refusal('--all')).toMatch(/^unknown_flag: --all is not a flag of this command \(allowed: --head\)/);
  });
});

describe('audit verify and head views', () => {
  it('says what is checked and where the answer goes', () => {
    expect(verifyStartedView(undefined).text).toContain('The result will arrive in your direct messages');
    expect(verifyStartedView({ id: 9, hash: HASH }).text).toContain('the published head #9 is still in the chain');
  });

  it('answers with the count and "intact", or the first broken entry and why', () => {
    const intact = verifyResultView({ checked: 1234, intact: true, head: { id: 1300, hash: HASH } }, { id: 1200, hash: HASH });
    expect(intact).toMatchObject({ tone: 'good' });
    expect(intact.text).toContain('Audit log intact: 1,234 entries checked');
    expect(intact.text).toContain('The published head #1200 is still in the chain, unchanged.');
    expect(intact.text).toContain(`Newest entry #1300, hash \`${HASH}\`.`);
    expect(verifyResultView({ checked: 0, intact: true, head: null }, undefined).text).toContain('The log is empty.');
    const broken = verifyResultView({ checked: 1, intact: false, firstBroken: { id: 7, reason: 'entry #7 was altered' } }, undefined);
    expect(broken).toMatchObject({ tone: 'danger' });
    expect(broken.text).toContain('Audit log broken: 1 entry checked, the first broken entry is #7.');
    expect(broken.text).toContain('Reason: entry #7 was altered.');
    const alert = chainBreakAlertView({ checked: 7, intact: false, firstBroken: { id: 7, reason: 'entry #7 was altered' } }, NOW);
    expect(alert.text).toContain('the daily check at 2026-11-26 04:00 UTC found the chain broken at entry #7');
    for (const view of [intact, broken, alert]) expectWithinLimits(view);
  });

  it('posts the head with the exact command that checks it', () => {
    const head = { id: 123456, hash: HASH };
    expect(verifyHeadCommand(head)).toBe(`/audit verify --head 123456:${HASH}`);
    const posted = chainHeadView(head, NOW);
    expect(posted.text).toContain(`Audit log chain head at 2026-11-26 04:00 UTC: entry #123456, hash \`${HASH}\``);
    expect(posted.text).toContain(`\`/audit verify --head 123456:${HASH}\``);
    // The command as posted parses back to the head.
    expect(parseVerifyArgs(verifyHeadCommand(head).replace('/audit verify ', ''))).toEqual({ head });
    const partial = headPublishedView(head, [{ platform: 'slack', channelId: 'CAUDIT' }], [{ platform: 'mattermost', channelId: 'mmaudit' }]);
    expect(partial).toMatchObject({ tone: 'warning' });
    expect(partial.text).toContain('Posted to Slack channel `CAUDIT`.');
    expect(partial.text).toContain('Could not post to Mattermost channel `mmaudit`');
    for (const view of [posted, partial, emptyLogView()]) expectWithinLimits(view);
  });
});

describe('auditChannels', () => {
  const slack = { SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APPROVALS_CHANNEL: 'C1' };
  const mattermost = {
    MATTERMOST_URL: 'http://mm.invalid',
    MATTERMOST_BOT_TOKEN: 't',
    MATTERMOST_COMMAND_TOKENS: 'c',
    MATTERMOST_APPROVALS_CHANNEL: 'a',
    PUBLIC_URL: 'http://bot.invalid',
  };

  it('lists the platforms that have an audit channel, and skips the others', () => {
    expect(auditChannels(loadConfig({ ...slack, ...mattermost }))).toEqual([]);
    expect(auditChannels(loadConfig({ ...slack, ...mattermost, MATTERMOST_AUDIT_CHANNEL: 'mmaudit' }))).toEqual([{ platform: 'mattermost', channelId: 'mmaudit' }]);
    expect(auditChannels(loadConfig({ ...slack, SLACK_AUDIT_CHANNEL: 'CAUDIT', MATTERMOST_AUDIT_CHANNEL: 'mmaudit' }))).toEqual([{ platform: 'slack', channelId: 'CAUDIT' }]);
  });
});
