import { EventEmitter } from 'node:events';
import type { Button, View } from '../../../blocks/view.js';
import type { Platform } from '../../domain/users.js';

/**
 * A chat that lives in this process: people, channels, direct messages, threads, messages only one person sees, and
 * files. The core talks to it through its notifier and people act in it through its door, exactly as they would in
 * Slack or Mattermost; `npm run demo` prints it, and a page can show it. Everything it holds is in memory and ends
 * with the process.
 */

export interface ChatPerson {
  id: string;
  name: string;
  /** A bot account rather than a person. */
  bot?: boolean;
}

export interface ChatFile {
  id: string;
  name: string;
  title: string;
  content: Buffer;
}

export interface ChatMessage {
  id: string;
  channelId: string;
  /** The root message, for replies in a thread. */
  threadId: string | undefined;
  /** As it reads now (after edits). */
  view: View;
  /** Set when only this person sees it (answers to commands and clicks). */
  visibleTo: string | undefined;
  files: ChatFile[];
  edits: number;
}

/** What happened, in order: people's actions, and messages as they were posted or edited. */
export type ChatEvent =
  | { kind: 'acted'; person: ChatPerson; what: string }
  | { kind: 'posted' | 'edited'; message: ChatMessage; view: View };

/** Where people type commands when they name no channel. */
export const GENERAL_CHANNEL = 'general';

export class MemoryChat {
  readonly people = new Map<string, ChatPerson>();
  readonly messages: ChatMessage[] = [];
  readonly events: ChatEvent[] = [];
  private readonly changes = new EventEmitter();
  private nextId = 1;

  constructor(readonly platform: Platform = 'sandbox') {
    this.changes.setMaxListeners(0);
  }

  /** Adds someone to the chat (or returns who is there under this id). */
  join(person: ChatPerson): ChatPerson {
    const known = this.people.get(person.id);
    if (known) return known;
    this.people.set(person.id, person);
    return person;
  }

  personNamed(name: string): ChatPerson | undefined {
    return [...this.people.values()].find((person) => person.name.toLowerCase() === name.toLowerCase());
  }

  /** The channel of the direct messages between the bot and a person. */
  dmChannelOf(personId: string): string {
    return `dm-${personId}`;
  }

  /** The person a direct-message channel is with, or undefined for a shared channel. */
  dmPersonOf(channelId: string): ChatPerson | undefined {
    return channelId.startsWith('dm-') ? this.people.get(channelId.slice(3)) : undefined;
  }

  post(channelId: string, view: View, options: { threadId?: string; visibleTo?: string; files?: ChatFile[] } = {}): ChatMessage {
    const message: ChatMessage = {
      id: `m${this.nextId++}`,
      channelId,
      threadId: options.threadId,
      view,
      visibleTo: options.visibleTo,
      files: options.files ?? [],
      edits: 0,
    };
    this.messages.push(message);
    this.record({ kind: 'posted', message, view });
    return message;
  }

  edit(messageId: string, view: View): ChatMessage {
    const message = this.message(messageId);
    message.view = view;
    message.edits += 1;
    this.record({ kind: 'edited', message, view });
    return message;
  }

  /** Whether the chat holds this message (it holds none from before the process started). */
  has(messageId: string): boolean {
    return this.messages.some((candidate) => candidate.id === messageId);
  }

  message(messageId: string): ChatMessage {
    const message = this.messages.find((candidate) => candidate.id === messageId);
    if (!message) throw new Error(`there is no message ${messageId} in this chat`);
    return message;
  }

  /** Notes what someone did, in its place among the messages. */
  acted(person: ChatPerson, what: string): void {
    this.record({ kind: 'acted', person, what });
  }

  /** Messages of a channel that are not replies, oldest first; with `viewer`, only those they see. */
  channel(channelId: string, viewer?: string): ChatMessage[] {
    return this.messages.filter((message) => message.channelId === channelId && message.threadId === undefined && seenBy(message, viewer));
  }

  thread(root: ChatMessage): ChatMessage[] {
    return this.messages.filter((message) => message.threadId === root.id);
  }

  /** The bot's direct messages to a person, oldest first. */
  dms(personId: string): ChatMessage[] {
    return this.channel(this.dmChannelOf(personId));
  }

  /** What only this person sees, wherever it is, oldest first. */
  onlyFor(personId: string): ChatMessage[] {
    return this.messages.filter((message) => message.visibleTo === personId);
  }

  /**
   * Resolves with the first truthy value of `check`, looked at again whenever the chat changes, so callers wait for
   * what the workers post without polling.
   */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const onChange = () => {
        const value = check();
        if (!value) return;
        clearTimeout(timer);
        this.changes.off('change', onChange);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.changes.off('change', onChange);
        reject(new Error(`nothing in the chat matched within ${timeoutMs} ms`));
      }, timeoutMs);
      this.changes.on('change', onChange);
    });
  }

  /** Calls `listener` after every change (a message posted or edited, an action noted); returns how to stop. */
  onChange(listener: () => void): () => void {
    this.changes.on('change', listener);
    return () => void this.changes.off('change', listener);
  }

  /** A file attached to a message, with the message it came in. */
  file(fileId: string): { file: ChatFile; message: ChatMessage } | undefined {
    for (const message of this.messages) {
      const file = message.files.find((candidate) => candidate.id === fileId);
      if (file) return { file, message };
    }
    return undefined;
  }

  private record(event: ChatEvent): void {
    this.events.push(event);
    this.changes.emit('change');
  }
}

function seenBy(message: ChatMessage, viewer: string | undefined): boolean {
  return viewer === undefined || message.visibleTo === undefined || message.visibleTo === viewer;
}

/** The buttons a view shows, in order. */
export function buttonsOf(view: View): Button[] {
  return view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []));
}
