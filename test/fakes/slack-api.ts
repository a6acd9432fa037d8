import { SLACK_LIMITS } from '../../blocks/limits.js';
import { checkMessageBlocks, checkModal } from './slack-checks.js';
import type { FakeMessage, FakeSlackState } from './slack-state.js';

/** Slack's answer to a refused call: `{ ok: false, error, ...extra }` with HTTP 200. */
export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export interface FakeIdentity {
  teamId: string;
  teamName: string;
  botUserId: string;
  botId: string;
  appId: string;
}

export interface MethodCall {
  params: Record<string, unknown>;
  state: FakeSlackState;
  identity: FakeIdentity;
  baseUrl: string;
  /** Issues a one-time WebSocket URL (apps.connections.open). */
  issueSocketUrl(): string;
}

export interface FakeMethod {
  /** Which token the method takes: the bot token (xoxb) or the app-level token (xapp). */
  token: 'bot' | 'app';
  handle(call: MethodCall): Record<string, unknown>;
}

/** Form fields that carry JSON, decoded before the method sees them. */
export const JSON_PARAMS = ['blocks', 'attachments', 'files', 'view', 'metadata'] as const;

const TRIGGER_LIFETIME_MS = 3000;

function text(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function required(params: Record<string, unknown>, name: string, error = 'invalid_arguments'): string {
  const value = text(params, name);
  if (value === undefined) throw new SlackApiError(error, { detail: `${name} is required` });
  return value;
}

function channelParam(call: MethodCall, name = 'channel'): string {
  const channel = call.state.resolveChannel(required(call.params, name, 'channel_not_found'));
  if (!channel) throw new SlackApiError('channel_not_found');
  return channel;
}

/** The text and blocks of a message, refused the way Slack refuses them. */
export function messageContent(params: Record<string, unknown>): { text: string; blocks: unknown[] } {
  const blocks = params.blocks ?? [];
  const problems = checkMessageBlocks(blocks);
  if (problems.length > 0) throw new SlackApiError('invalid_blocks', { errors: problems });
  const messageText = typeof params.text === 'string' ? params.text : '';
  if (messageText === '' && (blocks as unknown[]).length === 0) throw new SlackApiError('no_text');
  if (messageText.length > SLACK_LIMITS.messageTextLength) throw new SlackApiError('msg_too_long');
  return { text: messageText, blocks: blocks as unknown[] };
}

function messageJson(message: FakeMessage, botId: string): Record<string, unknown> {
  return {
    type: 'message',
    bot_id: botId,
    text: message.text,
    blocks: message.blocks,
    ts: message.ts,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
  };
}

function userJson(state: FakeSlackState, id: string, teamId: string): Record<string, unknown> {
  const user = state.users.get(id);
  if (!user) throw new SlackApiError('user_not_found');
  return {
    id: user.id,
    team_id: teamId,
    name: user.name,
    real_name: user.realName ?? user.name,
    deleted: false,
    is_bot: user.isBot ?? false,
    tz: 'UTC',
    profile: { display_name: user.name, real_name: user.realName ?? user.name, ...(user.email ? { email: user.email } : {}) },
  };
}

const postMessage: FakeMethod = {
  token: 'bot',
  handle(call) {
    const channel = channelParam(call);
    const content = messageContent(call.params);
    const threadTs = text(call.params, 'thread_ts');
    const message = call.state.addMessage({ channel, ...content, ...(threadTs ? { threadTs } : {}), source: 'chat.postMessage' });
    return { channel, ts: message.ts, message: messageJson(message, call.identity.botId) };
  },
};

const update: FakeMethod = {
  token: 'bot',
  handle(call) {
    const channel = channelParam(call);
    const message = call.state.findMessage(channel, required(call.params, 'ts', 'message_not_found'));
    if (!message) throw new SlackApiError('message_not_found');
    if (message.source !== 'chat.postMessage') throw new SlackApiError('cant_update_message');
    const content = messageContent(call.params);
    call.state.editMessage(message, content.text, content.blocks);
    return { channel, ts: message.ts, text: message.text, message: messageJson(message, call.identity.botId) };
  },
};

const postEphemeral: FakeMethod = {
  token: 'bot',
  handle(call) {
    const channel = channelParam(call);
    const user = required(call.params, 'user', 'user_not_found');
    if (!call.state.users.has(user)) throw new SlackApiError('user_not_found');
    const message = call.state.addMessage({ channel, ...messageContent(call.params), visibleTo: user, source: 'chat.postEphemeral' });
    return { message_ts: message.ts };
  },
};

const conversationsOpen: FakeMethod = {
  token: 'bot',
  handle(call) {
    const users = required(call.params, 'users', 'users_list_not_supplied').split(',');
    if (users.length !== 1) throw new SlackApiError('not_implemented', { detail: 'the fake opens DMs with one user only' });
    const user = users[0]!;
    if (!call.state.users.has(user)) throw new SlackApiError('user_not_found');
    return { channel: { id: call.state.dmChannel(user), is_im: true, user } };
  },
};

const usersInfo: FakeMethod = {
  token: 'bot',
  handle: (call) => ({ user: userJson(call.state, required(call.params, 'user', 'user_not_found'), call.identity.teamId) }),
};

/** Every user of the workspace, `limit` a page, in the order they were added; `cursor` is where the page starts. */
const usersList: FakeMethod = {
  token: 'bot',
  handle(call) {
    const ids = [...call.state.users.keys()];
    const limit = Math.max(1, Math.min(1000, Number(call.params.limit ?? 200) || 200));
    const start = typeof call.params.cursor === 'string' && call.params.cursor !== '' ? Number(call.params.cursor) : 0;
    const page = ids.slice(start, start + limit);
    const next = start + limit < ids.length ? String(start + limit) : '';
    return { members: page.map((id) => userJson(call.state, id, call.identity.teamId)), response_metadata: { next_cursor: next } };
  },
};

/** The member whose profile has this address, in any case; Slack answers `users_not_found` for nobody. */
const usersLookupByEmail: FakeMethod = {
  token: 'bot',
  handle(call) {
    const email = required(call.params, 'email').toLowerCase();
    const user = [...call.state.users.values()].find((candidate) => candidate.email?.toLowerCase() === email);
    if (!user) throw new SlackApiError('users_not_found');
    return { user: userJson(call.state, user.id, call.identity.teamId) };
  },
};

const viewsOpen: FakeMethod = {
  token: 'bot',
  handle(call) {
    const triggerId = required(call.params, 'trigger_id', 'invalid_trigger_id');
    const trigger = call.state.triggers.get(triggerId);
    if (!trigger) throw new SlackApiError('invalid_trigger_id');
    if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
    if (call.state.clock.now().getTime() - trigger.issuedAt > TRIGGER_LIFETIME_MS) throw new SlackApiError('expired_trigger_id');
    const problems = checkModal(call.params.view);
    if (problems.length > 0) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: problems } });
    trigger.used = true;
    const view = call.params.view as Record<string, unknown>;
    const opened = { id: call.state.nextId('V'), userId: trigger.userId, triggerId, view };
    call.state.views.push(opened);
    return { view: { ...view, id: opened.id, team_id: call.identity.teamId, app_id: call.identity.appId, state: { values: {} } } };
  },
};

const getUploadUrl: FakeMethod = {
  token: 'bot',
  handle(call) {
    const filename = required(call.params, 'filename');
    const length = Number(required(call.params, 'length'));
    if (!Number.isInteger(length) || length <= 0) throw new SlackApiError('invalid_arguments', { detail: 'length must be a positive integer' });
    const id = call.state.nextId('F');
    call.state.uploads.set(id, { id, filename, length, completed: false });
    return { upload_url: `${call.baseUrl}/upload/${id}`, file_id: id };
  },
};

const completeUpload: FakeMethod = {
  token: 'bot',
  handle(call) {
    const files = call.params.files;
    if (!Array.isArray(files) || files.length === 0) throw new SlackApiError('invalid_arguments', { detail: 'files is required' });
    const channelId = text(call.params, 'channel_id');
    const channel = channelId === undefined ? undefined : channelParam(call, 'channel_id');
    const refs = files.map((entry: unknown) => {
      const { id, title } = (entry ?? {}) as { id?: unknown; title?: unknown };
      const upload = typeof id === 'string' ? call.state.uploads.get(id) : undefined;
      if (!upload || upload.size === undefined) throw new SlackApiError('file_not_found', { detail: `file ${String(id)} was not uploaded` });
      if (upload.completed) throw new SlackApiError('file_already_completed');
      return { upload, title: typeof title === 'string' ? title : upload.filename };
    });
    for (const { upload } of refs) upload.completed = true;
    const fileRefs = refs.map(({ upload, title }) => ({ id: upload.id, name: upload.filename, title, size: upload.size ?? 0 }));
    if (channel) {
      const comment = text(call.params, 'initial_comment') ?? '';
      const threadTs = text(call.params, 'thread_ts');
      call.state.addMessage({ channel, text: comment, blocks: [], files: fileRefs, ...(threadTs ? { threadTs } : {}), source: 'files.completeUploadExternal' });
    }
    return { files: fileRefs.map((file) => ({ id: file.id, title: file.title, name: file.name, size: file.size })) };
  },
};

/** The Web API methods the fake answers; any other method gets `unknown_method`. */
export const FAKE_METHODS: Record<string, FakeMethod> = {
  'auth.test': {
    token: 'bot',
    handle: (call) => ({
      url: `https://${call.identity.teamName}.slack.com/`,
      team: call.identity.teamName,
      user: 'aithroyz',
      team_id: call.identity.teamId,
      user_id: call.identity.botUserId,
      bot_id: call.identity.botId,
      is_enterprise_install: false,
    }),
  },
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'conversations.open': conversationsOpen,
  'users.info': usersInfo,
  'users.list': usersList,
  'users.lookupByEmail': usersLookupByEmail,
  'views.open': viewsOpen,
  'files.getUploadURLExternal': getUploadUrl,
  'files.completeUploadExternal': completeUpload,
  'apps.connections.open': { token: 'app', handle: (call) => ({ url: call.issueSocketUrl() }) },
};
