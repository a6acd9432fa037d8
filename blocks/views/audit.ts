import { formatUtc } from '../../src/domain/time.js';
import { PLATFORM_NAMES } from '../../src/domain/users.js';
import type { ChainCheckModel, ChainHeadModel, ChannelModel } from '../models.js';
import type { View } from '../view.js';
import { code, lines } from './format.js';

/** What the audit commands and jobs show: the export and check as they start, their results, the published head. */

/** `/audit export` accepted: which entries are coming (the filters, described) and where. */
export function exportStartedView(filtersDescription: string): View {
  const heading = 'Preparing your export…';
  const scope = `Entries: ${filtersDescription}.`;
  const delivery = 'The CSV file will arrive in your direct messages, with the number of entries it holds.';
  return {
    text: `${heading} ${scope} ${delivery}`,
    blocks: [
      { kind: 'text', text: heading },
      { kind: 'text', text: scope },
      { kind: 'context', text: delivery },
    ],
  };
}

/** `/audit verify` accepted: the check runs as a job and the answer comes by DM. */
export function verifyStartedView(publishedHead: ChainHeadModel | undefined): View {
  const heading = 'Verifying the audit log…';
  const scope = publishedHead
    ? `Every entry's hash and link is checked, and that the published head #${publishedHead.id} is still in the chain.`
    : 'Every entry’s hash and its link to the entry before it are checked.';
  const delivery = 'The result will arrive in your direct messages; a large log takes a while.';
  return {
    text: lines(heading, scope, delivery),
    blocks: [
      { kind: 'text', text: heading },
      { kind: 'text', text: scope },
      { kind: 'context', text: delivery },
    ],
  };
}

/** The answer to `/audit verify`: the number of entries checked, then "intact" or the first broken entry. */
export function verifyResultView(result: ChainCheckModel, publishedHead: ChainHeadModel | undefined): View {
  const checked = entries(result.checked);
  if (!result.intact) {
    const heading = `Audit log broken: ${checked} checked, the first broken entry is #${result.firstBroken.id}.`;
    const reason = `Reason: ${result.firstBroken.reason}.`;
    const next = 'Compare with the chain heads published in the audit channel, and keep the database as it is for investigation.';
    return {
      text: lines(heading, reason, next),
      tone: 'danger',
      blocks: [
        { kind: 'text', text: heading },
        { kind: 'text', text: reason },
        { kind: 'context', text: next },
      ],
    };
  }
  const heading = `Audit log intact: ${checked} checked, every hash and link holds.`;
  const head = result.head ? `Newest entry #${result.head.id}, hash ${code(result.head.hash)}.` : 'The log is empty.';
  const published = publishedHead ? `The published head #${publishedHead.id} is still in the chain, unchanged.` : undefined;
  return {
    text: lines(heading, published, head),
    tone: 'good',
    blocks: [
      { kind: 'text', text: heading },
      ...(published ? [{ kind: 'text' as const, text: published }] : []),
      { kind: 'context', text: head },
    ],
  };
}

/** The daily check found a break: every admin is told. */
export function chainBreakAlertView(result: Extract<ChainCheckModel, { intact: false }>, checkedAt: Date): View {
  const heading = `Audit log tamper alert: the daily check at ${formatUtc(checkedAt)} found the chain broken at entry #${result.firstBroken.id}.`;
  const reason = `Reason: ${result.firstBroken.reason}. ${entries(result.checked)} checked.`;
  const next = 'Run `/audit verify` to check again, and compare with the chain heads published in the audit channel.';
  return {
    text: lines(heading, reason, next),
    tone: 'danger',
    blocks: [
      { kind: 'header', text: 'Audit log tamper alert' },
      { kind: 'text', text: heading },
      { kind: 'text', text: reason },
      { kind: 'context', text: next },
    ],
  };
}

function entries(count: number): string {
  return count === 1 ? '1 entry' : `${count.toLocaleString('en-US')} entries`;
}

/** How an admin checks a published head later: the exact command, ready to copy. */
export function verifyHeadCommand(head: ChainHeadModel): string {
  return `/audit verify --head ${head.id}:${head.hash}`;
}

/**
 * The chain head as posted to the audit channel: kept outside the database, it lets a later `/audit verify --head`
 * notice that the newest entries were removed or rewritten.
 */
export function chainHeadView(head: ChainHeadModel, publishedAt: Date): View {
  const heading = `Audit log chain head at ${formatUtc(publishedAt)}: entry #${head.id}, hash ${code(head.hash)}`;
  const how = `To check that this entry and every one before it are still in the log, unchanged, an admin runs ${code(verifyHeadCommand(head))}`;
  return {
    text: lines(heading, how),
    blocks: [
      { kind: 'text', text: heading },
      { kind: 'context', text: how },
    ],
  };
}

/** The answer to `/audit head`: what was published, where, and where it could not be. */
export function headPublishedView(head: ChainHeadModel, posted: readonly ChannelModel[], failed: readonly ChannelModel[]): View {
  const heading = `Published the audit log chain head: entry #${head.id}, hash ${code(head.hash)}.`;
  const where = posted.length > 0 ? `Posted to ${posted.map(describeChannel).join(', ')}.` : undefined;
  const missed = failed.length > 0 ? `Could not post to ${failed.map(describeChannel).join(', ')}; the details are in the logs.` : undefined;
  const how = `Check it later with ${code(verifyHeadCommand(head))}`;
  return {
    text: lines(heading, where, missed, how),
    tone: failed.length > 0 ? 'warning' : 'good',
    blocks: [
      { kind: 'text', text: heading },
      ...(where ? [{ kind: 'text' as const, text: where }] : []),
      ...(missed ? [{ kind: 'text' as const, text: missed }] : []),
      { kind: 'context', text: how },
    ],
  };
}

/** `/audit head` on an empty log: there is nothing to pin yet. */
export function emptyLogView(): View {
  const text = 'The audit log is empty: there is no chain head to publish yet.';
  return { text, blocks: [{ kind: 'text', text }] };
}

function describeChannel(channel: ChannelModel): string {
  return `${PLATFORM_NAMES[channel.platform]} channel ${code(channel.channelId)}`;
}
