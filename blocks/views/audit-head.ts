import type { ChainHead } from '../../src/audit/verify.js';
import type { Platform } from '../../src/domain/users.js';
import { formatUtc } from '../../src/domain/time.js';
import type { View } from '../view.js';
import { code, lines } from './format.js';

/** How an admin checks a published head later: the exact command, ready to copy. */
export function verifyHeadCommand(head: ChainHead): string {
  return `/audit verify --head ${head.id}:${head.hash}`;
}

/**
 * The chain head as posted to the audit channel: kept outside the database, it lets a later `/audit verify --head`
 * notice that the newest entries were removed or rewritten.
 */
export function chainHeadView(head: ChainHead, publishedAt: Date): View {
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

export interface HeadChannel {
  platform: Platform;
  channelId: string;
}

/** The answer to `/audit head`: what was published, where, and where it could not be. */
export function headPublishedView(head: ChainHead, posted: readonly HeadChannel[], failed: readonly HeadChannel[]): View {
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

function describeChannel(channel: HeadChannel): string {
  return `${channel.platform === 'slack' ? 'Slack' : 'Mattermost'} channel ${code(channel.channelId)}`;
}
