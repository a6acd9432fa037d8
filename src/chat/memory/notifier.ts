import { randomUUID } from 'node:crypto';
import type { View } from '../../../blocks/view.js';
import type { DirectoryUser, MessageRef, Notifier, UploadFile } from '../types.js';
import type { MemoryChat } from './chat.js';

/** How the core posts, edits, replies, sends direct messages and uploads files in the in-memory chat. */
export class MemoryNotifier implements Notifier {
  constructor(private readonly chat: MemoryChat) {}

  get platform() {
    return this.chat.platform;
  }

  async post(channelId: string, view: View): Promise<MessageRef> {
    return this.refOf(this.chat.post(channelId, view));
  }

  /**
   * Edits the message; one posted before this process started is gone with the chat it was in, so the new version
   * is posted in its channel instead (labs outlive the chat: they are in Postgres).
   */
  async update(message: MessageRef, view: View): Promise<void> {
    if (this.chat.has(message.messageId)) this.chat.edit(message.messageId, view);
    else this.chat.post(message.channelId, view);
  }

  /** Replies in the thread; under a root from before this process started, in the channel. */
  async reply(root: MessageRef, view: View): Promise<MessageRef> {
    const threadId = this.chat.has(root.messageId) ? root.messageId : undefined;
    return this.refOf(this.chat.post(root.channelId, view, threadId ? { threadId } : {}));
  }

  async dm(userId: string, view: View): Promise<MessageRef> {
    return this.refOf(this.chat.post(this.chat.dmChannelOf(userId), view));
  }

  /** The file is read whole: what this chat holds lives in memory anyway. */
  async upload(userId: string, file: UploadFile): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of file.content) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const content = Buffer.concat(chunks);
    const view = { text: file.comment, blocks: [{ kind: 'text' as const, text: file.comment }] };
    this.chat.post(this.chat.dmChannelOf(userId), view, { files: [{ id: randomUUID(), name: file.filename, title: file.title, content }] });
  }

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    const wanted = text.trim().toLowerCase();
    return [...this.chat.people.values()]
      .filter((person) => !person.bot && person.name.toLowerCase().includes(wanted))
      .slice(0, limit)
      .map((person) => ({ id: person.id, name: person.name, realName: '' }));
  }

  /** The in-memory chat's people have no email addresses: sign-in by email finds nobody here. */
  async findUserByEmail(): Promise<DirectoryUser | undefined> {
    return undefined;
  }

  private refOf(message: { id: string; channelId: string }): MessageRef {
    return { platform: this.chat.platform, channelId: message.channelId, messageId: message.id };
  }
}
