import { SLACK_LIMITS } from '../../blocks/limits.js';
import { messageContent, SlackApiError } from './slack-api.js';
import type { FakeSlackState } from './slack-state.js';

/**
 * The two ways an app answers a user without the Web API: the body of a command's ack, and POSTs to the request's
 * response_url (JSON, 5 uses within 30 minutes; `replace_original`, `delete_original`, `in_channel`, `thread_ts`).
 */
export interface ResponseUrlAnswer {
  status: number;
  body: Record<string, unknown>;
  params: Record<string, unknown>;
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function answerResponseUrl(state: FakeSlackState, id: string, contentType: string, raw: string): ResponseUrlAnswer {
  const issued = state.responseUrls.get(id);
  if (!issued) return { status: 404, body: { ok: false, error: 'invalid_url' }, params: {} };
  if (contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return { status: 400, body: { ok: false, error: 'invalid_payload', detail: 'response_url takes application/json' }, params: {} };
  }
  let params: Record<string, unknown>;
  try {
    params = asObject(JSON.parse(raw));
  } catch {
    return { status: 400, body: { ok: false, error: 'invalid_payload' }, params: {} };
  }
  if (state.clock.now().getTime() - issued.issuedAt > SLACK_LIMITS.responseUrlLifetimeMs) {
    return { status: 404, body: { ok: false, error: 'expired_url' }, params };
  }
  if (issued.uses >= SLACK_LIMITS.responseUrlUses) return { status: 404, body: { ok: false, error: 'used_url' }, params };
  issued.uses += 1;
  try {
    applyResponse(state, issued, params);
  } catch (error) {
    if (!(error instanceof SlackApiError)) throw error;
    return { status: 400, body: { ok: false, error: error.error, ...error.extra }, params };
  }
  return { status: 200, body: { ok: true }, params };
}

function applyResponse(
  state: FakeSlackState,
  issued: { userId: string; channelId: string; messageTs?: string },
  params: Record<string, unknown>,
): void {
  const original = issued.messageTs ? state.findMessage(issued.channelId, issued.messageTs) : undefined;
  if (params.delete_original === true) {
    if (!original) throw new SlackApiError('message_not_found');
    state.deleteMessage(original);
    return;
  }
  const content = messageContent(params);
  if (params.replace_original === true) {
    if (!original) throw new SlackApiError('message_not_found');
    state.editMessage(original, content.text, content.blocks);
    return;
  }
  const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
  state.addMessage({
    channel: issued.channelId,
    ...content,
    ...(threadTs ? { threadTs } : {}),
    ...(params.response_type === 'in_channel' ? {} : { visibleTo: issued.userId }),
    source: 'response_url',
  });
}

/** A slash command's ack body becomes a message the caller alone sees (or everyone, with `in_channel`). */
export function recordAckReply(state: FakeSlackState, userId: string, channelId: string, body: unknown): Record<string, unknown> {
  const params = asObject(body);
  if (params.text === undefined && params.blocks === undefined) return { ok: true, shown: false };
  try {
    const content = messageContent(params);
    state.addMessage({
      channel: channelId,
      ...content,
      ...(params.response_type === 'in_channel' ? {} : { visibleTo: userId }),
      source: 'ack',
    });
    return { ok: true, shown: true };
  } catch (error) {
    if (!(error instanceof SlackApiError)) throw error;
    return { ok: false, error: error.error, ...error.extra };
  }
}
