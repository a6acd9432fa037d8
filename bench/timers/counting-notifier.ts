import type { View } from '../../blocks/view.js';
import type { DirectoryUser, MessageRef, Notifier, UploadFile } from '../../src/chat/types.js';
import type { Platform } from '../../src/domain/users.js';

/** A notifier that only counts what it is asked to send: the workers' own cost, without any chat I/O. */
export class CountingNotifier implements Notifier {
  readonly counts = { post: 0, update: 0, reply: 0, dm: 0, upload: 0 };
  private next = 0;

  constructor(readonly platform: Platform = 'slack') {}

  async post(channelId: string, _view: View): Promise<MessageRef> {
    this.counts.post += 1;
    return this.ref(channelId);
  }

  async update(_message: MessageRef, _view: View): Promise<void> {
    this.counts.update += 1;
  }

  async reply(root: MessageRef, _view: View): Promise<MessageRef> {
    this.counts.reply += 1;
    return this.ref(root.channelId);
  }

  async dm(userId: string, _view: View): Promise<MessageRef> {
    this.counts.dm += 1;
    return this.ref(`D${userId}`);
  }

  async upload(_userId: string, file: UploadFile): Promise<void> {
    this.counts.upload += 1;
    file.content.resume();
  }

  async searchUsers(): Promise<DirectoryUser[]> {
    return [];
  }

  async findUserByEmail(): Promise<DirectoryUser | undefined> {
    return undefined;
  }

  private ref(channelId: string): MessageRef {
    this.next += 1;
    return { platform: this.platform, channelId, messageId: `${this.next}.000000` };
  }
}
