import type { Clock } from '../../src/clock.js';

/** A workspace member the fake knows. */
export interface FakeSlackUser {
  id: string;
  name: string;
  realName?: string;
  /** The address on the profile, which `users.lookupByEmail` finds. */
  email?: string;
  isBot?: boolean;
}

export interface FakeSlackChannel {
  id: string;
  name: string;
  /** Set for DM channels: the human on the other side. */
  dmWith?: string;
}

export interface FakeFileRef {
  id: string;
  name: string;
  title: string;
  size: number;
}

/** One message as the workspace would show it, with every version it had. */
export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  files: FakeFileRef[];
  /** Only this user sees the message (ephemeral replies, command acks). */
  visibleTo?: string;
  source: 'chat.postMessage' | 'chat.postEphemeral' | 'response_url' | 'ack' | 'files.completeUploadExternal';
  deleted: boolean;
  /** Earlier versions, oldest first (chat.update and replace_original). */
  history: { text: string; blocks: unknown[] }[];
}

export interface OpenedView {
  id: string;
  userId: string;
  triggerId: string;
  view: Record<string, unknown>;
}

export interface IssuedResponseUrl {
  userId: string;
  channelId: string;
  /** The message the button sat in, for replace_original / delete_original. */
  messageTs?: string;
  issuedAt: number;
  uses: number;
}

export interface FakeUpload {
  id: string;
  filename: string;
  length: number;
  /** Where the received bytes are kept, once the upload POST arrived. */
  path?: string;
  size?: number;
  completed: boolean;
}

/** What happened to messages, in order: the conversation as people saw it unfold. */
export interface TimelineEntry {
  kind: 'posted' | 'edited' | 'deleted';
  message: FakeMessage;
  /** Index into the message's versions (its history, then its current content). */
  version: number;
}

/** Everything the fake workspace holds; the HTTP and WebSocket front ends read and change it. */
export class FakeSlackState {
  readonly users = new Map<string, FakeSlackUser>();
  readonly channels = new Map<string, FakeSlackChannel>();
  readonly messages: FakeMessage[] = [];
  readonly timeline: TimelineEntry[] = [];
  readonly views: OpenedView[] = [];
  readonly triggers = new Map<string, { userId: string; issuedAt: number; used: boolean }>();
  readonly responseUrls = new Map<string, IssuedResponseUrl>();
  readonly uploads = new Map<string, FakeUpload>();
  private readonly dmByUser = new Map<string, string>();
  private counter = 0;

  constructor(readonly clock: Clock) {}

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(8, '0')}`;
  }

  /** Slack message timestamps: seconds, a dot, six digits; unique and increasing. */
  nextTs(): string {
    this.counter += 1;
    const seconds = Math.floor(this.clock.now().getTime() / 1000);
    return `${seconds}.${String(this.counter % 1_000_000).padStart(6, '0')}`;
  }

  /** The DM channel between the bot and a user, created on first use (as conversations.open does). */
  dmChannel(userId: string): string {
    let channel = this.dmByUser.get(userId);
    if (!channel) {
      channel = `D${userId.replace(/^[A-Z]/, '')}`;
      this.dmByUser.set(userId, channel);
      this.channels.set(channel, { id: channel, name: `dm-${userId}`, dmWith: userId });
    }
    return channel;
  }

  existingDmChannel(userId: string): string | undefined {
    return this.dmByUser.get(userId);
  }

  /** Slack accepts a user id as a channel for chat.postMessage: it means the DM with that user. */
  resolveChannel(id: string): string | undefined {
    if (this.channels.has(id)) return id;
    if (this.users.has(id)) return this.dmChannel(id);
    return undefined;
  }

  addMessage(message: Omit<FakeMessage, 'ts' | 'deleted' | 'history' | 'files'> & { files?: FakeFileRef[] }): FakeMessage {
    const stored: FakeMessage = { ...message, files: message.files ?? [], ts: this.nextTs(), deleted: false, history: [] };
    this.messages.push(stored);
    this.timeline.push({ kind: 'posted', message: stored, version: 0 });
    return stored;
  }

  findMessage(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts && !message.deleted);
  }

  editMessage(message: FakeMessage, text: string, blocks: unknown[]): void {
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = text;
    message.blocks = blocks;
    this.timeline.push({ kind: 'edited', message, version: message.history.length });
  }

  deleteMessage(message: FakeMessage): void {
    message.deleted = true;
    this.timeline.push({ kind: 'deleted', message, version: message.history.length });
  }

  /** A message as it was at one version (0 = as first posted). */
  versionOf(message: FakeMessage, version: number): { text: string; blocks: unknown[] } {
    return [...message.history, { text: message.text, blocks: message.blocks }][version] ?? { text: message.text, blocks: message.blocks };
  }
}
