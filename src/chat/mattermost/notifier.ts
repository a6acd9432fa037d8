import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clipText, MATTERMOST_LIMITS } from '../../../blocks/limits.js';
import type { MattermostMessage } from '../../../blocks/mattermost.js';
import { toMattermostMarkdown } from '../../../blocks/mattermost-markdown.js';
import type { View } from '../../../blocks/view.js';
import { AppError } from '../../errors.js';
import type { DirectoryUser, MessageRef, Notifier, UploadFile } from '../types.js';
import { ClientError, describeClientError, type MattermostClient } from './client.js';

export type RenderPost = (view: View) => MattermostMessage;

/**
 * The outbound half of the Mattermost adapter, over REST API v4 with the bot's token: posts, edits, thread replies,
 * DMs and file uploads. Failures become retryable AppErrors unless Mattermost refused the call for good (4xx).
 */
export class MattermostNotifier implements Notifier {
  readonly platform = 'mattermost' as const;
  private botUserId: Promise<string> | undefined;
  private readonly dmChannels = new Map<string, string>();

  constructor(
    private readonly client: MattermostClient,
    private readonly render: RenderPost,
  ) {}

  /** The bot's own user id (GET /users/me), asked once; a failed lookup is asked again next time. */
  botUser(): Promise<string> {
    this.botUserId ??= this.call('users/me', () => this.client.getMe()).then(
      (me) => me.id,
      (error: unknown) => {
        this.botUserId = undefined;
        throw error;
      },
    );
    return this.botUserId;
  }

  async post(channelId: string, view: View): Promise<MessageRef> {
    const post = await this.call('createPost', () => this.client.createPost({ channel_id: channelId, ...this.render(view) }));
    return this.ref(post);
  }

  async update(message: MessageRef, view: View): Promise<void> {
    await this.call('patchPost', () => this.client.patchPost({ id: message.messageId, ...this.render(view) }));
  }

  async reply(root: MessageRef, view: View): Promise<MessageRef> {
    const post = await this.call('createPost', () =>
      this.client.createPost({ channel_id: root.channelId, root_id: root.messageId, ...this.render(view) }),
    );
    return this.ref(post);
  }

  async dm(userId: string, view: View): Promise<MessageRef> {
    const channelId = await this.dmChannel(userId);
    return this.post(channelId, view);
  }

  /** Spools the stream to a temp file and uploads from there, so memory stays flat whatever the file's size. */
  async upload(userId: string, file: UploadFile): Promise<void> {
    const channelId = await this.dmChannel(userId);
    const folder = await mkdtemp(join(tmpdir(), 'aithroyz-mm-upload-'));
    try {
      const path = join(folder, 'upload');
      await pipeline(toReadable(file.content), createWriteStream(path));
      const form = new FormData();
      // Mattermost reads the multipart body as a stream: channel_id must come before the files.
      form.append('channel_id', channelId);
      form.append('files', await openAsBlob(path, { type: mimeTypeOf(file.filename) }), file.filename);
      const uploaded = await this.call('uploadFile', () => this.client.uploadFile(form));
      const fileIds = uploaded.file_infos.map((info) => info.id);
      if (fileIds.length === 0) throw new AppError('mattermost_api', 'Mattermost accepted the upload but returned no file.', { retry: true });
      const message = clipText(toMattermostMarkdown(file.comment), MATTERMOST_LIMITS.postMessageLength);
      await this.call('createPost', () => this.client.createPost({ channel_id: channelId, message, file_ids: fileIds }));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** POST /users/search: Mattermost matches the term on usernames and names itself; bots and deactivated accounts are left out. */
  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    const term = text.trim();
    if (term === '') return [];
    const found = await this.call('searchUsers', () => this.client.searchUsers(term, { allow_inactive: false, limit }));
    return found
      .filter((user) => !user.is_bot && !user.delete_at)
      .slice(0, limit)
      .map((user) => ({ id: user.id, name: user.username, realName: [user.first_name, user.last_name].filter(Boolean).join(' ') }));
  }

  /**
   * GET /users/email/{email}: 404 for nobody. Mattermost answers 403 to anyone but a system admin unless
   * Show Email Address (PrivacySettings.ShowEmailAddress) is on, which the setup command checks.
   */
  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    let user;
    try {
      user = await this.client.getUserByEmail(encodeURIComponent(email));
    } catch (error) {
      const status = error instanceof ClientError ? error.status_code : undefined;
      if (status === 404) return undefined;
      if (status === 403) {
        throw new AppError('mattermost_api', 'Mattermost does not show the bot email addresses, so sign-in by email cannot find anyone.', {
          hint: 'Turn on System Console > Site Configuration > Users and Teams > Show Email Address (PrivacySettings.ShowEmailAddress).',
          cause: error,
        });
      }
      throw mattermostCallError('getUserByEmail', error);
    }
    if (user.is_bot || user.delete_at) return undefined;
    return { id: user.id, name: user.username, realName: [user.first_name, user.last_name].filter(Boolean).join(' ') };
  }

  private async dmChannel(userId: string): Promise<string> {
    const known = this.dmChannels.get(userId);
    if (known) return known;
    const botUserId = await this.botUser();
    const channel = await this.call('createDirectChannel', () => this.client.createDirectChannel([botUserId, userId]));
    this.dmChannels.set(userId, channel.id);
    return channel.id;
  }

  private ref(post: { id: string; channel_id: string }): MessageRef {
    return { platform: 'mattermost', channelId: post.channel_id, messageId: post.id };
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mattermostCallError(operation, error);
    }
  }
}

function mimeTypeOf(filename: string): string {
  return filename.toLowerCase().endsWith('.csv') ? 'text/csv' : 'application/octet-stream';
}

function toReadable(content: NodeJS.ReadableStream): Readable {
  return content instanceof Readable ? content : Readable.from(content);
}

/** Mattermost's 4xx answers (bad token, no permission, bot not in the channel) don't improve by retrying soon. */
function mattermostCallError(operation: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = error instanceof ClientError ? error.status_code : undefined;
  const retry = status === undefined || status === 429 || status >= 500;
  return new AppError('mattermost_api', `Mattermost ${operation} failed: ${describeClientError(error)}`, { retry, cause: error });
}
