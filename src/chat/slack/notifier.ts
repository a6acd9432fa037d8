import { webApi } from '@slack/bolt';
import { renderSlackMessage } from '../../../blocks/slack.js';
import type { View } from '../../../blocks/view.js';
import type { SlackConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DirectoryUser, MessageRef, Notifier, UploadFile } from '../types.js';
import { callSlack, slackCallError } from './api-errors.js';
import { boltLogger } from './bolt-logger.js';
import { uploadFileToChannel } from './upload.js';

export type SlackRetryConfig = webApi.RetryOptions;

export interface SlackClientOptions {
  log: Logger;
  /** Retries of failed Web API calls; the client's default is ten retries over about half an hour. */
  retryConfig?: SlackRetryConfig;
}

/** A Web API client for the bot token, pointed at SLACK_API_URL. */
export function createSlackClient(config: SlackConfig, options: SlackClientOptions): webApi.WebClient {
  return new webApi.WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    logger: boltLogger(options.log),
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  });
}

/** The outbound half of the Slack adapter: messages, edits, thread replies, DMs and file uploads. */
export class SlackNotifier implements Notifier {
  readonly platform = 'slack' as const;
  /** DM channel ids are stable per user, so each is opened once per process. */
  private readonly dmChannels = new Map<string, Promise<string>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly options: { tempDir?: string } = {},
  ) {}

  async post(channelId: string, view: View): Promise<MessageRef> {
    return this.postMessage(channelId, view, undefined);
  }

  async update(message: MessageRef, view: View): Promise<void> {
    const rendered = renderSlackMessage(view);
    await callSlack('chat.update', () =>
      this.client.chat.update({ channel: message.channelId, ts: message.messageId, text: rendered.text, blocks: rendered.blocks }),
    );
  }

  async reply(root: MessageRef, view: View): Promise<MessageRef> {
    return this.postMessage(root.channelId, view, root.messageId);
  }

  async dm(userId: string, view: View): Promise<MessageRef> {
    return this.postMessage(await this.dmChannel(userId), view, undefined);
  }

  /**
   * Slack gives bots no search of people: `users.list` is read page by page (at most 10 pages of 200) and matched
   * here on the handle, the display name and the real name.
   */
  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    const wanted = text.trim().toLowerCase();
    const found: DirectoryUser[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10 && found.length < limit; page += 1) {
      const listed = await callSlack('users.list', () => this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) }));
      for (const member of listed.members ?? []) {
        if (!member.id || member.deleted || member.is_bot || member.id === 'USLACKBOT') continue;
        const names = [member.name, member.real_name, member.profile?.display_name].filter((name): name is string => typeof name === 'string' && name !== '');
        if (wanted !== '' && !names.some((name) => name.toLowerCase().includes(wanted))) continue;
        found.push({ id: member.id, name: member.name ?? member.id, realName: member.real_name ?? member.profile?.real_name ?? '' });
        if (found.length >= limit) break;
      }
      cursor = listed.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return found;
  }

  /** `users.lookupByEmail`, which needs the `users:read.email` scope; Slack answers `users_not_found` for nobody. */
  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    let found;
    try {
      found = await this.client.users.lookupByEmail({ email });
    } catch (error) {
      const reason = error instanceof webApi.WebAPIPlatformError ? error.data.error : undefined;
      if (reason === 'users_not_found') return undefined;
      if (reason === 'missing_scope') {
        throw new AppError('internal', 'The Slack app may not read email addresses, so sign-in by email cannot find anyone.', {
          hint: 'Add the users:read.email scope (slack/manifest.yaml has it) and reinstall the app to the workspace.',
          cause: error,
        });
      }
      throw slackCallError('users.lookupByEmail', error);
    }
    const user = found.user;
    if (!user?.id || user.deleted || user.is_bot) return undefined;
    return { id: user.id, name: user.name ?? user.id, realName: user.real_name ?? user.profile?.real_name ?? '' };
  }

  async upload(userId: string, file: UploadFile): Promise<void> {
    await uploadFileToChannel(this.client, await this.dmChannel(userId), file, this.options);
  }

  /** The DM channel with a user (`conversations.open` with the `im:write` scope). */
  async dmChannel(userId: string): Promise<string> {
    let channel = this.dmChannels.get(userId);
    if (!channel) {
      channel = this.openDm(userId);
      this.dmChannels.set(userId, channel);
      // A failed open is not remembered: the next call tries again.
      channel.catch(() => this.dmChannels.delete(userId));
    }
    return channel;
  }

  private async openDm(userId: string): Promise<string> {
    const opened = await callSlack('conversations.open', () => this.client.conversations.open({ users: userId }));
    const id = opened.channel?.id;
    if (!id) throw new AppError('unavailable', `Slack opened no DM channel with ${userId}.`, { retry: true });
    return id;
  }

  private async postMessage(channelId: string, view: View, threadTs: string | undefined): Promise<MessageRef> {
    const rendered = renderSlackMessage(view);
    const posted = await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: channelId,
        text: rendered.text,
        blocks: rendered.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      }),
    );
    if (!posted.ts) throw new AppError('unavailable', 'Slack did not say where the message was posted.', { retry: true });
    return { platform: 'slack', channelId: posted.channel ?? channelId, messageId: posted.ts };
  }
}
