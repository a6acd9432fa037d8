import type { ChainHead, VerifyResult } from '../../src/audit/verify.js';
import { formatUtc } from '../../src/domain/time.js';
import type { View } from '../view.js';
import { code, lines } from './format.js';

/** `/audit verify` accepted: the check runs as a job and the answer comes by DM. */
export function verifyStartedView(publishedHead: ChainHead | undefined): View {
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
export function verifyResultView(result: VerifyResult, publishedHead: ChainHead | undefined): View {
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
export function chainBreakAlertView(result: Extract<VerifyResult, { intact: false }>, checkedAt: Date): View {
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
