/**
 * Requests exactly as a Mattermost server sends them to an integration (server/channels/app/command.go and
 * integration_action.go): slash commands as a form with `Authorization: Token <token>`, button clicks and dialog
 * submissions as JSON with no authentication at all.
 */

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/mattermost/command`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  /** The bot's `X-Request-Id`: the request id of its audit entry. */
  requestId: string | null;
  /** The raw Content-Type header. */
  contentType: string | null;
  text: string;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
}

/** Go's `url.Values.Encode()`: keys sorted, `url.QueryEscape` (space as `+`, only `-_.~` and alphanumerics kept). */
export function encodeGoForm(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort()
    .map((key) => `${queryEscape(key)}=${queryEscape(fields[key]!)}`)
    .join('&');
}

function queryEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface CommandInput {
  token: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName?: string;
  teamId: string;
  teamDomain?: string;
  /** With its slash: `/env`. */
  command: string;
  text: string;
  triggerId?: string;
  rootId?: string;
  responseUrl?: string;
  /** `P` (the default) posts a form; `G` sends the same fields as a query. */
  method?: 'P' | 'G';
  path?: string;
  /** Replace or drop (null) a header, to test refusals. */
  headers?: Record<string, string | null>;
  /** Extra or replacement form fields, to test refusals. */
  fields?: Record<string, string>;
}

export function commandRequest(input: CommandInput): HttpRequestSpec {
  const fields: Record<string, string> = {
    channel_id: input.channelId,
    channel_name: input.channelName ?? 'town-square',
    command: input.command,
    response_url: input.responseUrl ?? `http://mattermost.invalid/hooks/commands/${input.triggerId ?? 'hook'}`,
    team_domain: input.teamDomain ?? 'secops',
    team_id: input.teamId,
    text: input.text,
    token: input.token,
    trigger_id: input.triggerId ?? '',
    user_id: input.userId,
    user_name: input.userName,
    ...(input.rootId ? { root_id: input.rootId } : {}),
    ...input.fields,
  };
  const encoded = encodeGoForm(fields);
  const path = input.path ?? '/mattermost/command';
  const headers = withOverrides(
    input.method === 'G'
      ? { Accept: 'application/json', Authorization: `Token ${input.token}` }
      : { Accept: 'application/json', Authorization: `Token ${input.token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    input.headers,
  );
  return input.method === 'G'
    ? { method: 'GET', path: `${path}?${encoded}`, headers }
    : { method: 'POST', path, headers, body: encoded };
}

export interface ActionInput {
  userId: string;
  userName: string;
  channelId: string;
  channelName?: string;
  teamId: string;
  teamDomain?: string;
  postId: string;
  triggerId: string;
  /** The button's `integration.context`, as stored with the post. */
  context: unknown;
  /** The path of the button's `integration.url`. */
  path?: string;
}

/** A button click: JSON in the field order of `PostActionIntegrationRequest`. */
export function actionRequest(input: ActionInput): HttpRequestSpec {
  const body = {
    user_id: input.userId,
    user_name: input.userName,
    channel_id: input.channelId,
    channel_name: input.channelName ?? '',
    team_id: input.teamId,
    team_domain: input.teamDomain ?? 'secops',
    post_id: input.postId,
    trigger_id: input.triggerId,
    type: 'button',
    data_source: '',
    context: input.context,
  };
  return jsonRequest(input.path ?? '/mattermost/actions', body);
}

export interface DialogInput {
  userId: string;
  channelId: string;
  teamId: string;
  callbackId: string;
  state: string;
  submission: Record<string, unknown>;
  cancelled?: boolean;
  path?: string;
}

/** A dialog submission: JSON in the field order of `SubmitDialogRequest`. */
export function dialogRequest(input: DialogInput): HttpRequestSpec {
  const body = {
    type: 'dialog_submission',
    callback_id: input.callbackId,
    state: input.state,
    user_id: input.userId,
    channel_id: input.channelId,
    team_id: input.teamId,
    submission: input.submission,
    cancelled: input.cancelled ?? false,
  };
  return jsonRequest(input.path ?? '/mattermost/dialogs', body);
}

function jsonRequest(path: string, body: unknown): HttpRequestSpec {
  return { method: 'POST', path, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) };
}

function withOverrides(headers: Record<string, string>, overrides: Record<string, string | null> | undefined): Record<string, string> {
  const result = { ...headers };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === null) delete result[name];
    else result[name] = value;
  }
  return result;
}

/** Sends a request to the bot at `baseUrl` and reads the answer. */
export async function send(baseUrl: string, spec: HttpRequestSpec): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${spec.path}`, {
    method: spec.method,
    headers: spec.headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  let json: unknown;
  if (contentType === 'application/json') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, requestId: response.headers.get('x-request-id'), contentType, text, json };
}
