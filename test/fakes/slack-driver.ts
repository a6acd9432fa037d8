import type { FakeMessage, FakeSlack } from './slack.js';
import type { TimelineEntry } from './slack-state.js';
import {
  blockActionsPayload,
  interactionBody,
  postSigned,
  slashCommandBody,
  viewSubmissionPayload,
  type SlashCommandFields,
} from './slack-signing.js';
import type { TranscriptEntry } from '../../src/chat/memory/transcript.js';
import type { ChatButton, ChatMessage, ChatUser, SentRequest } from './chat-types.js';
import { ActionNotes } from './chat-transcript.js';

export type { ChatButton, ChatMessage, ChatUser, SentRequest } from './chat-types.js';

type Transport = { kind: 'http'; eventsUrl: string; signingSecret: string } | { kind: 'socket' };

/**
 * Drives the bot as Slack users would (slash commands, button clicks, modal submissions) and reads the conversation
 * back from the fake's recorded calls. The method names are platform-neutral so flow tests can be written once for
 * Slack and Mattermost.
 */
export class SlackDriver {
  private readonly notes = new ActionNotes();

  constructor(
    readonly fake: FakeSlack,
    private readonly transport: Transport,
    private readonly defaultChannel: string,
  ) {}

  static http(fake: FakeSlack, options: { eventsUrl: string; signingSecret: string; channelId: string }): SlackDriver {
    return new SlackDriver(fake, { kind: 'http', eventsUrl: options.eventsUrl, signingSecret: options.signingSecret }, options.channelId);
  }

  static socket(fake: FakeSlack, options: { channelId: string }): SlackDriver {
    return new SlackDriver(fake, { kind: 'socket' }, options.channelId);
  }

  /** Adds a workspace member. */
  user(id: string, name: string): ChatUser {
    this.fake.addUser({ id, name });
    return { id, name };
  }

  /** Types a slash command (`/env request soc-platform --ttl 8h`) in a channel. */
  async command(user: ChatUser, line: string, options: { channelId?: string } = {}): Promise<SentRequest> {
    const channelId = options.channelId ?? this.defaultChannel;
    const command = line.trim().split(/\s+/)[0] ?? '';
    const fields: SlashCommandFields = {
      userId: user.id,
      userName: user.name,
      command,
      text: line.trim().slice(command.length).trim(),
      channelId,
      teamId: this.fake.identity.teamId,
      responseUrl: this.fake.issueResponseUrl({ userId: user.id, channelId }),
      triggerId: this.fake.issueTrigger(user.id),
    };
    this.note(`${user.name} typed: ${line.trim()}`);
    const before = this.fake.state.messages.length;
    const form = slashCommandBody(fields);
    const answer = await this.send('slash_commands', form, () => Object.fromEntries(new URLSearchParams(form)));
    this.fake.recordAck(user.id, channelId, answer.body);
    const shown = this.fake.state.messages.slice(before).find((m) => m.source === 'ack' && m.visibleTo === user.id);
    return { status: answer.status, requestId: answer.requestId, reply: shown ? toChatMessage(shown) : undefined };
  }

  /** Clicks a button of a message; `value` overrides the button's value (to forge a click). */
  async click(user: ChatUser, message: ChatMessage, actionId: string, options: { value?: string } = {}): Promise<SentRequest> {
    const button = message.buttons.find((candidate) => candidate.actionId === actionId);
    if (!button && options.value === undefined) {
      throw new Error(`no ${actionId} button on message ${message.id}: ${message.buttons.map((b) => b.actionId).join(', ') || 'none'}`);
    }
    this.note(`${user.name} clicked ${button?.label ?? actionId}`);
    const payload = blockActionsPayload({
      user,
      teamId: this.fake.identity.teamId,
      channelId: message.channelId,
      message: { ts: message.id },
      isEphemeral: message.visibleTo !== undefined,
      action: { actionId, value: options.value ?? button!.value },
      responseUrl: this.fake.issueResponseUrl({ userId: user.id, channelId: message.channelId, messageTs: message.id }),
      triggerId: this.fake.issueTrigger(user.id),
    });
    const answer = await this.send('interactive', interactionBody(payload), () => payload);
    const body = (answer.body ?? {}) as { response_action?: string; errors?: Record<string, string> };
    return { status: answer.status, requestId: answer.requestId, reply: undefined, ...(body.response_action === 'errors' && body.errors ? { fieldErrors: body.errors } : {}) };
  }

  /** Fills in and submits the modal last opened for this user. */
  async submitDialog(user: ChatUser, values: Record<string, string>): Promise<SentRequest> {
    const opened = this.fake.state.views.filter((view) => view.userId === user.id).at(-1);
    if (!opened) throw new Error(`no dialog was opened for ${user.name}`);
    this.note(`${user.name} submitted ${String(opened.view.callback_id)}: ${JSON.stringify(values)}`);
    const payload = viewSubmissionPayload({
      user,
      teamId: this.fake.identity.teamId,
      view: opened.view,
      viewId: opened.id,
      values,
      triggerId: this.fake.issueTrigger(user.id),
    });
    const answer = await this.send('interactive', interactionBody(payload), () => payload);
    const body = (answer.body ?? {}) as { response_action?: string; errors?: Record<string, string> };
    return { status: answer.status, requestId: answer.requestId, reply: undefined, ...(body.response_action === 'errors' && body.errors ? { fieldErrors: body.errors } : {}) };
  }

  dms(user: ChatUser): ChatMessage[] {
    return this.fake.dmMessages(user.id).map(toChatMessage);
  }

  channel(channelId: string = this.defaultChannel): ChatMessage[] {
    return this.fake.channelMessages(channelId).map(toChatMessage);
  }

  thread(root: ChatMessage): ChatMessage[] {
    return this.fake.thread(root.channelId, root.id).map(toChatMessage);
  }

  ephemerals(user: ChatUser): ChatMessage[] {
    return this.fake.ephemeralsFor(user.id).map(toChatMessage);
  }

  /** The message as it is now (after edits). */
  refresh(message: ChatMessage): ChatMessage {
    const current = this.fake.state.messages.find((m) => m.channel === message.channelId && m.ts === message.id);
    if (!current) throw new Error(`message ${message.id} is gone`);
    return toChatMessage(current);
  }

  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T> {
    return this.fake.waitFor(check, timeoutMs);
  }

  /** The conversation so far as people saw it unfold, for people to read. */
  transcript(): string[] {
    return this.notes.transcript(this.fake.state.timeline, (entry) => describe(this.fake, entry));
  }

  private note(line: string): void {
    this.notes.note(line, this.fake.state.timeline.length);
  }

  private async send(
    envelope: 'slash_commands' | 'interactive',
    form: string,
    payload: () => Record<string, unknown>,
  ): Promise<{ status: number; body: unknown; requestId: string | undefined }> {
    if (this.transport.kind === 'http') {
      const result = await postSigned(this.transport.eventsUrl, form, { secret: this.transport.signingSecret });
      return { status: result.status, body: result.json, requestId: result.requestId };
    }
    const ack = await this.fake.socket.deliver(envelope, payload());
    return { status: 200, body: ack.payload, requestId: undefined };
  }
}

function blockTexts(block: unknown): string[] {
  const value = block as { type?: string; text?: { text?: string }; fields?: { text?: string }[]; elements?: { text?: unknown }[] };
  const texts: string[] = [];
  if (value.text?.text) texts.push(value.text.text);
  for (const field of value.fields ?? []) if (field.text) texts.push(field.text);
  if (value.type === 'context') for (const element of value.elements ?? []) if (typeof element.text === 'string') texts.push(element.text);
  return texts;
}

function buttonsOf(blocks: unknown[]): ChatButton[] {
  return blocks.flatMap((block) => {
    const value = block as { type?: string; elements?: { type?: string; action_id?: string; value?: string; text?: { text?: string } }[] };
    if (value.type !== 'actions') return [];
    return (value.elements ?? [])
      .filter((element) => element.type === 'button')
      .map((element) => ({ actionId: element.action_id ?? '', value: element.value ?? '', label: element.text?.text ?? '' }));
  });
}

export function toChatMessage(message: FakeMessage): ChatMessage {
  return {
    channelId: message.channel,
    id: message.ts,
    threadId: message.threadTs,
    text: [message.text, ...message.blocks.flatMap(blockTexts)].join('\n'),
    buttons: buttonsOf(message.blocks),
    files: message.files.map(({ id, name, title }) => ({ id, name, title })),
    visibleTo: message.visibleTo,
    edits: message.history.length,
  };
}

/** Text as a person reads it: mentions as @name, Slack's escapes undone. */
function readable(text: string): string {
  return text
    .replace(/<@[A-Za-z0-9._-]+\|([^<>|]*)>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function describe(fake: FakeSlack, entry: TimelineEntry): TranscriptEntry {
  const { message } = entry;
  const channel = fake.state.channels.get(message.channel);
  const content = fake.state.versionOf(message, entry.version);
  return {
    kind: entry.kind,
    where: channel?.dmWith ? `DM with ${nameOf(fake, channel.dmWith)}` : `#${channel?.name ?? message.channel}`,
    inThread: message.threadTs !== undefined,
    onlyFor: message.visibleTo ? nameOf(fake, message.visibleTo).slice(1) : undefined,
    text: readable(content.text),
    buttons: buttonsOf(content.blocks).map((button) => button.label),
    files: message.files.map((file) => ({ name: file.name, size: file.size })),
  };
}

function nameOf(fake: FakeSlack, userId: string): string {
  return `@${fake.state.users.get(userId)?.name ?? userId}`;
}
