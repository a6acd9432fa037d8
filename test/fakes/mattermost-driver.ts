import type { FakeMattermost } from './mattermost.js';
import type { FakeDialog, FakePost, TimelineEntry } from './mattermost-store.js';
import type { TranscriptEntry } from '../../src/chat/memory/transcript.js';
import type { ChatMessage, ChatUser, SentRequest as ChatSentRequest } from './chat-types.js';
import { ActionNotes } from './chat-transcript.js';
import { actionRequest, commandRequest, dialogRequest, send, type HttpAnswer, type HttpRequestSpec } from './mattermost-requests.js';

export type { ChatButton, ChatMessage, ChatUser } from './chat-types.js';

export interface SentRequest extends ChatSentRequest {
  answer: HttpAnswer;
}

export interface DriverOptions {
  fake: FakeMattermost;
  botUserId: string;
  teamId: string;
  /** Where commands are typed when no channel is given. */
  channelId?: string;
}

interface PostAction {
  name: string;
  integration: { url: string; context: Record<string, unknown> };
}

/**
 * Plays the Mattermost server and its users against the bot. Sends slash commands, clicks and dialog submissions as
 * a given user to the URLs registered with the server (command URL, button `integration.url`, dialog `url`); applies
 * the answers the way the server does (`update` edits the post; `ephemeral_text` and command answers become
 * ephemeral posts for that user alone); reads the conversation back from the fake REST API. The method names and
 * shapes are those of the Slack driver, so flow tests can be written once for both platforms.
 */
export class MattermostDriver {
  private readonly ephemeralPosts: FakePost[] = [];
  private readonly notes = new ActionNotes();
  private readonly defaultChannel: string;

  constructor(private readonly options: DriverOptions) {
    const store = options.fake.store;
    this.defaultChannel =
      options.channelId ??
      [...store.channels.values()].find((channel) => channel.team_id === options.teamId && channel.name === 'town-square')?.id ??
      store.addChannel({ name: 'town-square', teamId: options.teamId }).id;
  }

  get fake(): FakeMattermost {
    return this.options.fake;
  }

  /** Adds a team member (or returns the one with this id). */
  user(id: string, name: string): ChatUser {
    const store = this.fake.store;
    if (!store.users.has(id)) store.addUser({ id, username: name });
    store.teams.get(this.options.teamId)?.members.add(id);
    return { id, name };
  }

  /**
   * Types a slash command (`/env request soc-platform`). Like the server, it sends it to the command's URL with the
   * command's own token; the answer becomes an ephemeral post.
   */
  async command(user: ChatUser, line: string, options: { channelId?: string } = {}): Promise<SentRequest> {
    const channelId = options.channelId ?? this.defaultChannel;
    const trimmed = line.trim();
    const command = trimmed.split(/\s+/)[0] ?? '';
    const registered = [...this.fake.store.commands.values()].find(
      (item) => item.team_id === this.options.teamId && `/${item.trigger}` === command && item.delete_at === 0,
    );
    if (!registered) throw new Error(`no slash command ${command} in the team`);
    this.note(`${user.name} typed: ${trimmed}`);
    const url = new URL(registered.url);
    const answer = await this.sendTo(url, commandRequest({
      token: registered.token,
      userId: user.id,
      userName: user.name,
      channelId,
      teamId: this.options.teamId,
      command,
      text: trimmed.slice(command.length).trim(),
      triggerId: this.fake.store.issueTrigger(user.id),
      method: registered.method,
      path: url.pathname,
    }));
    const reply = answer.status === 200 ? this.addEphemeral(user, channelId, commandPost(answer.json)) : undefined;
    return { status: answer.status, requestId: answer.requestId ?? undefined, reply: reply && this.toMessage(reply), answer };
  }

  /**
   * Clicks the button with this action on a message, as `user`. `value` forges the click: the button's context is
   * sent with another value (and its signature no longer matches).
   */
  async click(user: ChatUser, message: ChatMessage, actionId: string, options: { value?: string } = {}): Promise<SentRequest> {
    const post = this.postOf(message);
    const action = actionsOf(post).find((item) => item.integration.context.actionId === actionId);
    if (!action) throw new Error(`no ${actionId} button on message ${message.id}: ${actionsOf(post).map((item) => item.name).join(', ') || 'none'}`);
    this.note(`${user.name} clicked ${action.name}`);
    const context = options.value === undefined ? action.integration.context : { ...action.integration.context, value: options.value };
    const url = new URL(action.integration.url);
    const answer = await this.sendTo(url, actionRequest({
      userId: user.id,
      userName: user.name,
      channelId: post.channel_id,
      teamId: this.options.teamId,
      postId: post.id,
      triggerId: this.fake.store.issueTrigger(user.id),
      context,
      path: url.pathname,
    }));
    const body = (answer.json ?? {}) as { update?: { message?: string; props?: Record<string, unknown> }; ephemeral_text?: string };
    if (answer.status === 200 && body.update) {
      // Like the server: the integration may change the message and props, nothing else.
      Object.assign(post, { message: body.update.message ?? '', props: body.update.props ?? {}, edit_at: Date.now() });
      this.fake.store.record('edited', post);
      this.fake.changed();
    }
    const shown = answer.status === 200 && body.ephemeral_text ? this.addEphemeral(user, post.channel_id, { message: body.ephemeral_text, props: {} }) : undefined;
    return { status: answer.status, requestId: answer.requestId ?? undefined, reply: shown && this.toMessage(shown), answer };
  }

  /** The last dialog the bot opened for `user`. */
  dialogFor(user: ChatUser): FakeDialog | undefined {
    return this.fake.store.dialogs.filter((dialog) => dialog.user_id === user.id).at(-1);
  }

  /** Fills in and submits the dialog last opened for `user`. */
  async submitDialog(user: ChatUser, values: Record<string, string>, options: { channelId?: string } = {}): Promise<SentRequest> {
    const dialog = this.dialogFor(user);
    if (!dialog) throw new Error(`no dialog was opened for ${user.name}`);
    this.note(`${user.name} submitted ${dialog.dialog.callback_id ?? 'a dialog'}: ${JSON.stringify(values)}`);
    const url = new URL(dialog.url);
    const answer = await this.sendTo(url, dialogRequest({
      userId: user.id,
      channelId: options.channelId ?? '',
      teamId: this.options.teamId,
      callbackId: dialog.dialog.callback_id ?? '',
      state: dialog.dialog.state ?? '',
      submission: values,
      path: url.pathname,
    }));
    const body = (answer.json ?? {}) as { errors?: Record<string, string> };
    return { status: answer.status, requestId: answer.requestId ?? undefined, reply: undefined, answer, ...(body.errors ? { fieldErrors: body.errors } : {}) };
  }

  /** The bot's DMs to `user`, oldest first. */
  dms(user: ChatUser): ChatMessage[] {
    const channel = this.fake.store.findDirectChannel(this.options.botUserId, user.id);
    return channel ? this.fake.store.postList(channel.id).map((post) => this.toMessage(post)) : [];
  }

  /** Root posts of a channel, oldest first. */
  channel(channelId: string = this.defaultChannel): ChatMessage[] {
    return this.fake.store.postList(channelId).filter((post) => post.root_id === '').map((post) => this.toMessage(post));
  }

  /** Replies in the thread of `root`, oldest first. */
  thread(root: ChatMessage): ChatMessage[] {
    return this.fake.store.postList(root.channelId).filter((post) => post.root_id === root.id).map((post) => this.toMessage(post));
  }

  /** What only `user` saw: command answers and `ephemeral_text`, oldest first. */
  ephemerals(user: ChatUser): ChatMessage[] {
    return this.ephemeralPosts.filter((post) => post.ephemeral_for === user.id).map((post) => this.toMessage(post));
  }

  /** The message as it is now (after edits). */
  refresh(message: ChatMessage): ChatMessage {
    return this.toMessage(this.postOf(message));
  }

  /** The text of an uploaded file. */
  fileText(fileId: string): string {
    const file = this.fake.store.files.get(fileId);
    if (!file) throw new Error(`no file ${fileId}`);
    return file.content.toString('utf8');
  }

  /** Waits until `check` finds something (re-checked whenever the fake serves a call). */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T> {
    return this.fake.waitFor(check, timeoutMs === undefined ? {} : { timeoutMs });
  }

  /** The conversation so far as people saw it unfold, for people to read. */
  transcript(): string[] {
    return this.notes.transcript(this.fake.store.timeline, (entry) => this.describe(entry));
  }

  toMessage(post: FakePost): ChatMessage {
    return {
      channelId: post.channel_id,
      id: post.id,
      threadId: post.root_id === '' ? undefined : post.root_id,
      text: postText(post),
      buttons: actionsOf(post).map((action) => ({
        actionId: String(action.integration.context.actionId ?? ''),
        value: String(action.integration.context.value ?? ''),
        label: action.name,
      })),
      files: post.file_ids.flatMap((id) => {
        const file = this.fake.store.files.get(id);
        return file ? [{ id, name: file.name, title: file.name }] : [];
      }),
      visibleTo: post.ephemeral_for,
      edits: this.fake.store.editsOf(post.id),
    };
  }

  private postOf(message: ChatMessage): FakePost {
    const post = this.ephemeralPosts.find((item) => item.id === message.id) ?? this.fake.store.posts.get(message.id);
    if (!post) throw new Error(`message ${message.id} is gone`);
    return post;
  }

  private sendTo(url: URL, spec: HttpRequestSpec): Promise<HttpAnswer> {
    return send(url.origin, spec);
  }

  private note(line: string): void {
    this.notes.note(line, this.fake.store.timeline.length);
  }

  private addEphemeral(user: ChatUser, channelId: string, content: { message: string; props: Record<string, unknown> }): FakePost {
    const post: FakePost = {
      id: `ephemeral${String(this.ephemeralPosts.length).padStart(17, '0')}`,
      channel_id: channelId,
      user_id: this.options.botUserId,
      root_id: '',
      message: content.message,
      props: content.props,
      file_ids: [],
      create_at: Date.now(),
      update_at: Date.now(),
      edit_at: 0,
      ephemeral_for: user.id,
    };
    this.ephemeralPosts.push(post);
    this.fake.store.record('posted', post);
    this.fake.changed();
    return post;
  }

  private describe(entry: TimelineEntry): TranscriptEntry {
    const { post } = entry;
    const store = this.fake.store;
    const channel = store.channels.get(post.channel_id);
    const other = channel?.type === 'D' ? channel.name.split('__').find((id) => id !== this.options.botUserId) : undefined;
    return {
      kind: entry.kind,
      where: other ? `DM with @${store.users.get(other)?.username ?? other}` : `~${channel?.name ?? post.channel_id}`,
      inThread: post.root_id !== '',
      onlyFor: post.ephemeral_for ? (store.users.get(post.ephemeral_for)?.username ?? post.ephemeral_for) : undefined,
      text: postText(post),
      buttons: actionsOf(post).map((action) => action.name),
      files: post.file_ids.map((id) => ({ name: store.files.get(id)?.name ?? id, size: store.files.get(id)?.size ?? 0 })),
    };
  }
}

interface Attachment {
  title?: string;
  text?: string;
  fields?: { title?: string; value?: unknown }[];
  actions?: PostAction[];
}

function attachmentsOf(post: Pick<FakePost, 'props'>): Attachment[] {
  const attachments = post.props.attachments;
  return Array.isArray(attachments) ? (attachments as Attachment[]) : [];
}

function actionsOf(post: Pick<FakePost, 'props'>): PostAction[] {
  return attachmentsOf(post).flatMap((attachment) => attachment.actions ?? []);
}

/** A post as one text: message, then each attachment's title, text and `label: value` fields. */
export function postText(post: Pick<FakePost, 'message' | 'props'>): string {
  const parts = [post.message];
  for (const attachment of attachmentsOf(post)) {
    parts.push(attachment.title ?? '', attachment.text ?? '');
    for (const field of attachment.fields ?? []) parts.push(`${field.title ?? ''}: ${String(field.value ?? '')}`);
  }
  return parts.filter((part) => part !== '').join('\n');
}

/** A command answer as the server posts it: top-level attachments win over `props.attachments`. */
function commandPost(json: unknown): { message: string; props: Record<string, unknown> } {
  const body = (json ?? {}) as { text?: string; attachments?: unknown; props?: Record<string, unknown> };
  const props = { ...(body.props ?? {}) };
  if (Array.isArray(body.attachments)) props.attachments = body.attachments;
  return { message: body.text ?? '', props };
}
