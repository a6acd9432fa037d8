import type { webApi } from '@slack/bolt';
import { renderSlackMessage, renderSlackModal } from '../../../blocks/slack.js';
import type { DialogView, View } from '../../../blocks/view.js';
import { errorView } from '../../../blocks/views/error.js';
import type { Logger } from '../../log.js';
import type { Reply } from '../types.js';
import { callSlack } from './api-errors.js';
import type { SlackReplyRoute } from './translate.js';

/** Everything that answers a request after (or besides) its ack. */
export interface Responder {
  client: webApi.WebClient;
  log: Logger;
  fetch?: typeof fetch;
}

/** Where the request came from: the user to answer and the channel they acted in. */
export interface ReplyPlace {
  userId: string;
  channelId: string;
  requestId: string;
}

/** The ack body of a slash command: Slack shows it to the caller alone. */
export function ephemeralBody(view: View): Record<string, unknown> {
  return { response_type: 'ephemeral', ...renderSlackMessage(view) };
}

export function isEmptyView(view: View): boolean {
  return view.text.trim() === '' && view.blocks.length === 0;
}

/** POSTs JSON to a response_url (5 uses within 30 minutes per url); throws when Slack does not take it. */
export async function postToResponseUrl(responder: Responder, url: string, body: Record<string, unknown>): Promise<void> {
  const send = responder.fetch ?? fetch;
  const response = await send(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
}

/**
 * Answers with everything a Reply asks for besides the ack: opens its dialog, replaces the message the button sat
 * in, and shows its view to the user alone (unless the ack already carried it). Failures are logged, not thrown:
 * the request itself has been handled and audited by then.
 */
export async function deliverReply(
  responder: Responder,
  reply: Reply,
  route: SlackReplyRoute,
  place: ReplyPlace,
  options: { viewSentInAck: boolean },
): Promise<void> {
  if (reply.openDialog) await openDialog(responder, reply.openDialog, route, place);
  if (reply.replaceOriginal) await replaceOriginal(responder, reply.replaceOriginal, route, place);
  if (!options.viewSentInAck && !isEmptyView(reply.view)) await showEphemeral(responder, reply.view, route, place);
}

async function openDialog(responder: Responder, dialog: DialogView, route: SlackReplyRoute, place: ReplyPlace): Promise<void> {
  try {
    if (!route.triggerId) throw new Error('the request carried no trigger_id');
    const view = renderSlackModal(dialog, { value: dialog.value, channelId: place.channelId, responseUrl: route.responseUrl });
    await callSlack('views.open', () => responder.client.views.open({ trigger_id: route.triggerId!, view }));
  } catch (error) {
    responder.log.warn({ err: error, requestId: place.requestId }, 'could not open the Slack dialog');
    // A trigger id lives 3 seconds and works once; the user can simply click again.
    const retry = errorView({
      message: 'The form could not be opened in time.',
      hint: 'Click the button again.',
      requestId: place.requestId,
      tone: 'warning',
    });
    await showEphemeral(responder, retry, route, place);
  }
}

async function replaceOriginal(responder: Responder, view: View, route: SlackReplyRoute, place: ReplyPlace): Promise<void> {
  if (!route.responseUrl) {
    responder.log.warn({ requestId: place.requestId }, 'no response_url to replace the original message with');
    return;
  }
  try {
    await postToResponseUrl(responder, route.responseUrl, { replace_original: true, ...renderSlackMessage(view) });
  } catch (error) {
    responder.log.warn({ err: error, requestId: place.requestId }, 'could not replace the original Slack message');
  }
}

/** Through the response_url when there is one, else `chat.postEphemeral` in the channel the user acted in. */
async function showEphemeral(responder: Responder, view: View, route: SlackReplyRoute, place: ReplyPlace): Promise<void> {
  try {
    if (route.responseUrl) {
      await postToResponseUrl(responder, route.responseUrl, { response_type: 'ephemeral', replace_original: false, ...renderSlackMessage(view) });
    } else if (place.channelId !== '') {
      const rendered = renderSlackMessage(view);
      await callSlack('chat.postEphemeral', () =>
        responder.client.chat.postEphemeral({ channel: place.channelId, user: place.userId, ...rendered }),
      );
    } else {
      responder.log.warn({ requestId: place.requestId }, 'nowhere to show the reply to a Slack request');
    }
  } catch (error) {
    responder.log.warn({ err: error, requestId: place.requestId }, 'could not show the reply to a Slack request');
  }
}
