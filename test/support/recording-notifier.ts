import type { View } from '../../blocks/view.js';
import type { DirectoryUser, MessageRef, Notifier, UploadFile } from '../../src/chat/types.js';
import type { Platform } from '../../src/domain/users.js';

/** One outbound call, as the recording notifier saw it. Uploads hold the drained content. */
export type RecordedCall =
  | { kind: 'post'; channelId: string; view: View; ref: MessageRef }
  | { kind: 'update'; message: MessageRef; view: View }
  | { kind: 'reply'; root: MessageRef; view: View; ref: MessageRef }
  | { kind: 'dm'; userId: string; view: View; ref: MessageRef }
  | { kind: 'upload'; userId: string; filename: string; title: string; comment: string; content: string; bytes: number };

export type CallKind = RecordedCall['kind'];
type CallOf<K extends CallKind> = Extract<RecordedCall, { kind: K }>;

export interface RecordingNotifierOptions {
  /** Keep upload content as a string (default). Off for huge uploads: only the byte count is kept. */
  keepUploadContent?: boolean;
}

/**
 * A `Notifier` that records every call instead of talking to a platform. Posts, replies and DMs get message refs
 * (`m1`, `m2`, …) that later updates and replies can name; uploads are read to the end, as a platform would.
 * `failNext` makes the next call of a kind throw; `waitFor` resolves when a matching call arrives (no sleeping).
 */
export class RecordingNotifier implements Notifier {
  readonly calls: RecordedCall[] = [];
  private sequence = 0;
  private readonly failures = new Map<CallKind, Error[]>();
  private readonly waiters = new Set<{ match: (call: RecordedCall) => boolean; resolve: (call: RecordedCall) => void }>();

  constructor(
    readonly platform: Platform = 'slack',
    private readonly options: RecordingNotifierOptions = {},
  ) {}

  async post(channelId: string, view: View): Promise<MessageRef> {
    this.throwIfFailing('post');
    const ref = this.nextRef(channelId);
    this.record({ kind: 'post', channelId, view, ref });
    return ref;
  }

  async update(message: MessageRef, view: View): Promise<void> {
    this.throwIfFailing('update');
    this.record({ kind: 'update', message, view });
  }

  async reply(root: MessageRef, view: View): Promise<MessageRef> {
    this.throwIfFailing('reply');
    const ref = this.nextRef(root.channelId);
    this.record({ kind: 'reply', root, view, ref });
    return ref;
  }

  async dm(userId: string, view: View): Promise<MessageRef> {
    this.throwIfFailing('dm');
    const ref = this.nextRef(`D-${userId}`);
    this.record({ kind: 'dm', userId, view, ref });
    return ref;
  }

  async upload(userId: string, file: UploadFile): Promise<void> {
    this.throwIfFailing('upload');
    const keep = this.options.keepUploadContent ?? true;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of file.content) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      bytes += buffer.length;
      if (keep) chunks.push(buffer);
    }
    const { filename, title, comment } = file;
    this.record({ kind: 'upload', userId, filename, title, comment, content: Buffer.concat(chunks).toString('utf8'), bytes });
  }

  /** The calls of one kind, in order. */
  ofKind<K extends CallKind>(kind: K): CallOf<K>[] {
    return this.calls.filter((call): call is CallOf<K> => call.kind === kind);
  }

  /** DMs and uploads sent to one user. */
  sentTo(userId: string): (CallOf<'dm'> | CallOf<'upload'>)[] {
    return this.calls.filter((call): call is CallOf<'dm'> | CallOf<'upload'> => (call.kind === 'dm' || call.kind === 'upload') && call.userId === userId);
  }

  /** Makes the next call of `kind` throw `error` (queue several by calling again). */
  failNext(kind: CallKind, error: Error = new Error(`${kind} failed`)): void {
    this.failures.set(kind, [...(this.failures.get(kind) ?? []), error]);
  }

  /** Resolves with the first call (already recorded or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(match: (call: RecordedCall) => boolean, timeoutMs = 5000): Promise<RecordedCall> {
    const seen = this.calls.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (call: RecordedCall) => { clearTimeout(timer); resolve(call); } };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching notifier call within ${timeoutMs} ms; calls so far: ${this.calls.map((call) => call.kind).join(', ') || 'none'}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The people `searchUsers` finds: the platform's directory, as a test sets it. */
  readonly directory: DirectoryUser[] = [];

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    const wanted = text.trim().toLowerCase();
    return this.directory.filter((user) => `${user.name} ${user.realName}`.toLowerCase().includes(wanted)).slice(0, limit);
  }

  /** Who `findUserByEmail` finds, by address in lower case: the platform's accounts, as a test sets them. */
  readonly emails = new Map<string, DirectoryUser>();

  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    return this.emails.get(email.toLowerCase());
  }

  clear(): void {
    this.calls.length = 0;
    this.failures.clear();
  }

  private nextRef(channelId: string): MessageRef {
    this.sequence += 1;
    return { platform: this.platform, channelId, messageId: `m${this.sequence}` };
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(call)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(call);
    }
  }

  private throwIfFailing(kind: CallKind): void {
    const queued = this.failures.get(kind);
    const error = queued?.shift();
    if (error) throw error;
  }
}
