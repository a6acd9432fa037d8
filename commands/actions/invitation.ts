import { answeredView, invitationCardView } from '../../blocks/views/team.js';
import type { Reply } from '../../src/chat/types.js';
import { answerInvitation, modelOf } from '../../workflows/invitations.js';
import type { HandlerContext } from '../context.js';

/**
 * Accept or Decline on an invitation's DM card: the invitee answers as their verified chat user; the card shows the
 * answer at once (its notice job edits it again, the same way, for good measure) and the inviter is told by DM.
 */
export async function answer(ctx: HandlerContext, invitationId: string, choice: 'accept' | 'decline'): Promise<Reply> {
  const answered = await answerInvitation(ctx.s, {
    invitationId,
    actor: ctx.actor,
    answer: choice,
    requestId: ctx.invocation.requestId,
    channelId: ctx.invocation.channelId,
  });
  const model = modelOf(answered);
  return { view: answeredView(model), replaceOriginal: invitationCardView(model) };
}
