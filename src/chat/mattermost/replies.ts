import { renderMattermostDialog, renderMattermostText, type MattermostMessage } from '../../../blocks/mattermost.js';
import type { DialogView, View } from '../../../blocks/view.js';
import { errorView } from '../../../blocks/views/error.js';
import type { Logger } from '../../log.js';
import type { Reply } from '../types.js';
import type { MattermostClient } from './client.js';
import type { MattermostNotifier, RenderPost } from './notifier.js';
import type { DialogState } from './signing.js';

/** What turns a Reply into Mattermost's answers: rendering, dialogs, and the DM for follow-ups with buttons. */
export interface Responder {
  render: RenderPost;
  client: MattermostClient;
  notifier: MattermostNotifier;
  /** PUBLIC_URL/mattermost/dialogs, read when a dialog opens. */
  dialogUrl(): string;
  signState(state: DialogState): string;
  log: Logger;
}

/** Who acted, where, and the trigger id that lets a dialog open (valid for 3 s after the click). */
export interface ReplyPlace {
  userId: string;
  channelId: string;
  triggerId: string;
  requestId: string;
}

export function isEmptyView(view: View): boolean {
  return view.text.trim() === '' && view.blocks.length === 0;
}

function hasButtons(view: View): boolean {
  return view.blocks.some((block) => block.kind === 'actions' && block.buttons.length > 0);
}

/**
 * A slash command's answer, shown to the caller alone. Attachments go both top level (the server turns them into
 * the post's attachments, button ids included) and in `props`; Slack-style parsing is off because the text is
 * Mattermost markdown already.
 */
export function commandBody(view: View, render: RenderPost): Record<string, unknown> {
  if (isEmptyView(view)) return { response_type: 'ephemeral', text: '' };
  const post: MattermostMessage = render(view);
  const attachments = post.props.attachments;
  return {
    response_type: 'ephemeral',
    text: post.message,
    skip_slack_parsing: true,
    props: { attachments },
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

/** Answers a slash command: opens its dialog if it asks for one, then the command body. */
export async function answerCommand(responder: Responder, reply: Reply, place: ReplyPlace): Promise<Record<string, unknown>> {
  if (reply.openDialog && !(await openDialog(responder, reply.openDialog, place))) {
    return commandBody(dialogFailed(place.requestId), responder.render);
  }
  return commandBody(reply.view, responder.render);
}

/**
 * Answers a click with `{ephemeral_text?, update?}`: `replaceOriginal` becomes `update` (its props replace the old
 * buttons), a dialog is opened with the click's trigger id, and the view is shown to the user alone. A view with
 * buttons cannot travel in `ephemeral_text`, so it is sent as a DM and the user pointed there.
 */
export async function answerAction(responder: Responder, reply: Reply, place: ReplyPlace): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { skip_slack_parsing: true };
  if (reply.replaceOriginal) body.update = responder.render(reply.replaceOriginal);
  if (reply.openDialog && !(await openDialog(responder, reply.openDialog, place))) {
    body.ephemeral_text = renderMattermostText(dialogFailed(place.requestId));
    return body;
  }
  if (isEmptyView(reply.view)) return body;
  if (!hasButtons(reply.view)) {
    body.ephemeral_text = renderMattermostText(reply.view);
    return body;
  }
  const sent = await responder.notifier.dm(place.userId, reply.view).catch((error: unknown) => {
    responder.log.warn({ err: error, requestId: place.requestId }, 'could not send the follow-up DM');
    return undefined;
  });
  if (!sent) body.ephemeral_text = renderMattermostText(followUpFailed(place.requestId));
  else if (sent.channelId !== place.channelId) body.ephemeral_text = 'The next step is waiting for you in your direct messages with the bot.';
  return body;
}

/**
 * `{}` closes the dialog (the approval card then shows the decision). A refusal keeps it open: bad input under the
 * field (each refused field under its own when the handler named them), anything else as the dialog's error line. The outcome is the one `handleInvocation` audited (`Reply.outcome`).
 */
export function answerDialog(reply: Reply, fieldNames: string[]): Record<string, unknown> {
  const outcome = reply.outcome ?? 'ok';
  if (reply.fieldErrors && Object.keys(reply.fieldErrors).length > 0) return { errors: reply.fieldErrors };
  if (outcome === 'ok' || isEmptyView(reply.view)) return {};
  const text = renderMattermostText(reply.view);
  const field = fieldNames[0];
  return outcome === 'invalid' && field ? { errors: { [field]: text } } : { error: text };
}

async function openDialog(responder: Responder, dialog: DialogView, place: ReplyPlace): Promise<boolean> {
  try {
    if (place.triggerId === '') throw new Error('the request carried no trigger_id');
    const state = responder.signState({ callbackId: dialog.callbackId, value: dialog.value, userId: place.userId });
    await responder.client.openDialog({
      trigger_id: place.triggerId,
      url: responder.dialogUrl(),
      dialog: renderMattermostDialog(dialog, state),
    });
    return true;
  } catch (error) {
    responder.log.warn({ err: error, requestId: place.requestId }, 'could not open the Mattermost dialog');
    return false;
  }
}

function dialogFailed(requestId: string): View {
  // The trigger id expires 3 s after the click; clicking again gets a fresh one.
  return errorView({ message: 'The form could not be opened in time.', hint: 'Click the button again.', requestId, tone: 'warning' });
}

function followUpFailed(requestId: string): View {
  return errorView({
    message: 'The next step could not be sent to your direct messages.',
    hint: 'Try again in a minute; `/env status <env-id>` shows where things stand.',
    requestId,
    tone: 'danger',
  });
}
