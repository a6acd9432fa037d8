import { createHmac } from 'node:crypto';

/**
 * Requests exactly as Slack sends them to the bot: `application/x-www-form-urlencoded` bodies (slash command fields,
 * or one `payload=` field holding JSON for interactivity), signed with `v0=HMAC-SHA256(secret, "v0:ts:body")`.
 */
export const SLACK_FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export function slackSignature(secret: string, timestampSeconds: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSeconds}:${body}`).digest('hex')}`;
}

export interface SlashCommandFields {
  userId: string;
  userName: string;
  command: string;
  text: string;
  channelId: string;
  channelName?: string;
  teamId: string;
  teamDomain?: string;
  responseUrl: string;
  triggerId: string;
  apiAppId?: string;
}

/** The form body of a slash command, with every field Slack sends. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.teamId,
    team_domain: fields.teamDomain ?? 'aithroyz',
    channel_id: fields.channelId,
    channel_name: fields.channelName ?? 'general',
    user_id: fields.userId,
    user_name: fields.userName,
    command: fields.command,
    text: fields.text,
    api_app_id: fields.apiAppId ?? 'A0AITHROYZ',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId,
  }).toString();
}

/** The form body of an interactivity request: `payload=<JSON>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface BlockActionInput {
  user: { id: string; name: string };
  teamId: string;
  channelId: string;
  message: { ts: string; text?: string; blocks?: unknown[] };
  isEphemeral?: boolean;
  action: { actionId: string; value: string; blockId?: string };
  responseUrl: string;
  triggerId: string;
  apiAppId?: string;
}

export function blockActionsPayload(input: BlockActionInput): Record<string, unknown> {
  const actionTs = `${Math.floor(Date.now() / 1000)}.000100`;
  return {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: input.teamId },
    api_app_id: input.apiAppId ?? 'A0AITHROYZ',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: input.message.ts, channel_id: input.channelId, is_ephemeral: input.isEphemeral ?? false },
    trigger_id: input.triggerId,
    team: { id: input.teamId, domain: 'aithroyz' },
    channel: { id: input.channelId, name: 'channel' },
    ...(input.isEphemeral ? {} : { message: { type: 'message', ts: input.message.ts, text: input.message.text ?? '', blocks: input.message.blocks ?? [] } }),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [
      {
        type: 'button',
        block_id: input.action.blockId ?? 'actions',
        action_id: input.action.actionId,
        value: input.action.value,
        text: { type: 'plain_text', text: input.action.actionId },
        action_ts: actionTs,
      },
    ],
  };
}

export interface ViewSubmissionInput {
  user: { id: string; name: string };
  teamId: string;
  view: Record<string, unknown>;
  viewId: string;
  /** Input values by block id and action id (for our modals, both are the field name). */
  values: Record<string, string>;
  triggerId: string;
}

/** A field's state as Slack reports it: a text input's value, or the select's chosen option (text and value). */
function inputState(view: Record<string, unknown>, name: string, value: string): Record<string, unknown> {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as { block_id?: string; element?: { type?: string; options?: { value?: string }[] } }[]) : [];
  const element = blocks.find((block) => block.block_id === name)?.element;
  if (element?.type !== 'static_select') return { type: 'plain_text_input', value };
  const option = element.options?.find((candidate) => candidate.value === value);
  if (!option) throw new Error(`no option ${value} in the ${name} select`);
  return { type: 'static_select', selected_option: option };
}

export function viewSubmissionPayload(input: ViewSubmissionInput): Record<string, unknown> {
  const values = Object.fromEntries(Object.entries(input.values).map(([name, value]) => [name, { [name]: inputState(input.view, name, value) }]));
  return {
    type: 'view_submission',
    team: { id: input.teamId, domain: 'aithroyz' },
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: input.teamId },
    api_app_id: 'A0AITHROYZ',
    token: 'deprecated-verification-token',
    trigger_id: input.triggerId,
    view: { ...input.view, id: input.viewId, team_id: input.teamId, state: { values } },
    response_urls: [],
  };
}

export interface SignedPostOptions {
  secret: string;
  /** Request time in seconds; now by default. */
  timestampSeconds?: number;
  /** A signature to send instead of the right one (tests of refusals). */
  signature?: string;
  contentType?: string;
}

export interface SignedPostResult {
  status: number;
  text: string;
  /** The JSON body, when there is one. */
  json: Record<string, unknown> | undefined;
  /** The bot's id for the request (its `X-Request-Id` answer header), when it sent one. */
  requestId: string | undefined;
  ms: number;
}

/** POSTs a signed request to the bot, as Slack would. */
export async function postSigned(url: string, body: string, options: SignedPostOptions): Promise<SignedPostResult> {
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': options.contentType ?? SLACK_FORM_CONTENT_TYPE,
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': options.signature ?? slackSignature(options.secret, timestamp, body),
    },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  const requestId = response.headers.get('x-request-id') ?? undefined;
  return { status: response.status, text, json, requestId, ms: performance.now() - started };
}
