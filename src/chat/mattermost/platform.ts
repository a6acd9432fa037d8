import { renderMattermostMessage } from '../../../blocks/mattermost.js';
import { handleInvocation, recordRejectedRequest } from '../../../commands/index.js';
import type { MattermostConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Door } from '../../http/server.js';
import type { Services } from '../../services.js';
import { resolveMentions } from '../mentions.js';
import type { Invocation, Reply } from '../types.js';
import { describeClientError, MattermostClient } from './client.js';
import { mattermostDoor, type AckSample, type RejectedMattermostRequest } from './inbound.js';
import { mattermostMentionFinder } from './mentions.js';
import { MattermostNotifier, type RenderPost } from './notifier.js';
import { MATTERMOST_PATHS } from './paths.js';
import { signActionContext, signDialogState } from './signing.js';

export { MATTERMOST_PATHS };

export interface MattermostPlatformDeps {
  services: Services;
  /** Defaults to commands/index.ts `handleInvocation`. */
  handle?(invocation: Invocation): Promise<Reply>;
  /** Defaults to `auditRejectedRequest`. */
  recordRejected?(request: RejectedMattermostRequest): Promise<void>;
  onAck?(sample: AckSample): void;
  /** Time limit of each REST call (Client4 has none of its own). */
  requestTimeoutMs?: number;
  /**
   * The bot's base URL, read each time a button or dialog URL is rendered; `config.publicUrl` by default. Tests and
   * the demo listen on a free port, so their URL is known only once the server listens, after the door is registered.
   */
  publicUrl?: () => string;
}

export interface MattermostPlatform {
  notifier: MattermostNotifier;
  client: MattermostClient;
  /** The routes Mattermost calls, for the web half's server (a worker-only process does not register it). */
  door: Door;
  /** Checks the bot token (GET /users/me) and starts answering requests; before that they get 503. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Mattermost adapter: its door serves `POST /mattermost/command` (and GET, for commands set to that method),
 * `POST /mattermost/actions` and `POST /mattermost/dialogs`, and its notifier is what workers use to post, edit,
 * reply, DM and upload.
 */
export function createMattermostPlatform(config: MattermostConfig, deps: MattermostPlatformDeps): MattermostPlatform {
  const { services } = deps;
  const publicUrl = deps.publicUrl ?? (() => config.publicUrl);
  const client = new MattermostClient(config.url, config.botToken, deps.requestTimeoutMs);
  const render: RenderPost = (view) =>
    renderMattermostMessage(view, {
      actionUrl: `${publicUrl()}${MATTERMOST_PATHS.actions}`,
      contextFor: (button) => signActionContext(config.actionSecret, button, services.clock),
    });
  const notifier = new MattermostNotifier(client, render);
  const userNames = new UserNames(client);
  const mentions = mattermostMentionFinder(client);
  const handle = deps.handle ?? ((invocation: Invocation) => handleInvocation(services, invocation));
  let started = false;

  const inbound = {
    config,
    services,
    handle: async (invocation: Invocation) => handle(await resolveMentions(invocation, mentions, services.log)),
    recordRejected: deps.recordRejected ?? ((request: RejectedMattermostRequest) => auditRejectedRequest(services, request)),
    ...(deps.onAck ? { onAck: deps.onAck } : {}),
    responder: {
      render,
      client,
      notifier,
      dialogUrl: () => `${publicUrl()}${MATTERMOST_PATHS.dialogs}`,
      signState: (state: Parameters<typeof signDialogState>[1]) => signDialogState(config.actionSecret, state, services.clock),
      log: services.log,
    },
    userName: (userId: string) => userNames.nameOf(userId),
    isStarted: () => started,
  };

  return {
    notifier,
    client,
    door: mattermostDoor(inbound),
    async start() {
      try {
        await notifier.botUser();
      } catch (error) {
        throw new AppError('mattermost_unreachable', `Mattermost at ${config.url} did not accept the bot: ${describeClientError(error)}`, {
          hint: 'Check MATTERMOST_URL and MATTERMOST_BOT_TOKEN (`npm run mattermost:setup` prints both).',
          retry: true,
          cause: error,
        });
      }
      started = true;
    },
    async stop() {
      started = false;
    },
  };
}

/**
 * Audits a refused request through the commands' own recorder, with the same event types as handled ones. A request
 * that failed verification has no sender the platform vouched for: its claimed sender goes to the details only.
 */
async function auditRejectedRequest(s: Services, request: RejectedMattermostRequest): Promise<void> {
  await recordRejectedRequest(s, { ...request, unverified: request.outcome === 'denied' });
}

/** Usernames by id, looked up once each (dialog submissions carry only the id). */
class UserNames {
  private readonly names = new Map<string, string>();
  private static readonly LIMIT = 1000;

  constructor(private readonly client: MattermostClient) {}

  async nameOf(userId: string): Promise<string> {
    const known = this.names.get(userId);
    if (known) return known;
    try {
      const user = await this.client.getUser(userId);
      if (this.names.size >= UserNames.LIMIT) this.names.clear();
      this.names.set(userId, user.username);
      return user.username;
    } catch {
      // The name is for messages and the audit log only; the id is what decisions use.
      return userId;
    }
  }
}
