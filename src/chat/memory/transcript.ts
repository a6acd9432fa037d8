import { MENTION_PATTERN } from '../../../blocks/view.js';
import { buttonsOf, type ChatEvent, type MemoryChat } from './chat.js';

/** One thing a transcript shows: what someone did, or a message as it was posted, edited or deleted. */
export type TranscriptEntry =
  | { kind: 'acted'; line: string }
  | {
      kind: 'posted' | 'edited' | 'deleted';
      /** `#general`, `DM with @alice`. */
      where: string;
      inThread: boolean;
      /** The name of the only person who sees it. */
      onlyFor: string | undefined;
      /** The message's text, as people read it. */
      text: string;
      buttons: string[];
      /** Files attached, with their size. */
      files: { name: string; size: number }[];
    };

const WHAT_HAPPENED = { posted: '', edited: ' (edited)', deleted: ' (deleted)' } as const;

/**
 * A conversation as people saw it unfold, for people to read: `> alice typed: …` for what someone did, then each
 * message under where it appeared (threads indented), with its buttons and files.
 */
export function transcriptLines(entries: readonly TranscriptEntry[]): string[] {
  return entries.flatMap((entry) => {
    if (entry.kind === 'acted') return [`> ${entry.line}`];
    const audience = entry.onlyFor ? ` (only @${entry.onlyFor} sees this)` : '';
    const header = `${entry.inThread ? '    ↳ ' : ''}[${entry.where}]${entry.inThread ? ' (in thread)' : ''}${audience}${WHAT_HAPPENED[entry.kind]}`;
    if (entry.kind === 'deleted') return [header];
    const pad = entry.inThread ? '      ' : '  ';
    const files = entry.kind === 'posted' ? entry.files.map((file) => `📎 ${file.name} (${file.size} bytes)`) : [];
    const body = [entry.text, ...files].filter((line) => line.trim() !== '').map((line) => `${pad}${line.replace(/\n/g, `\n${pad}`)}`);
    return [header, ...body, ...(entry.buttons.length > 0 ? [`${pad}[${entry.buttons.join('] [')}]`] : [])];
  });
}

/** Mention tokens as people read them: `@name`. */
export function readableMentions(text: string): string {
  return text.replace(MENTION_PATTERN, (_token, _id: string, name: string) => `@${name}`);
}

/** The in-memory chat's conversation so far, as transcript entries. */
export function memoryTranscript(chat: MemoryChat): TranscriptEntry[] {
  return chat.events.map((event) => entryOf(chat, event));
}

function entryOf(chat: MemoryChat, event: ChatEvent): TranscriptEntry {
  if (event.kind === 'acted') return { kind: 'acted', line: `${event.person.name} ${event.what}` };
  const { message, view } = event;
  const dmWith = chat.dmPersonOf(message.channelId);
  return {
    kind: event.kind,
    where: dmWith ? `DM with @${dmWith.name}` : `#${message.channelId}`,
    inThread: message.threadId !== undefined,
    onlyFor: message.visibleTo === undefined ? undefined : (chat.people.get(message.visibleTo)?.name ?? message.visibleTo),
    text: readableMentions(view.text),
    buttons: buttonsOf(view).map((button) => button.label),
    files: message.files.map((file) => ({ name: file.name, size: file.content.length })),
  };
}
