import { renderMattermostMessage } from '../../../blocks/mattermost.js';
import { handleInvocation } from '../../../commands/index.js';
import type { MattermostConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { HttpServer } from '../../http/server.js';
import type { Services } from '../../services.js';
import { resolveMentions } from '../mentions.js';
import type { Invocation, Reply } from '../types.js';
import { describeClientError, MattermostClient } from './client.js';
import { actionHandler, commandHandler, dialogHandler, route, type AckSample } from './inbound.js';
import { mattermostMentionFinder } from './mentions.js';
import { MattermostNotifier, type RenderPost } from './notifier.js';
import { MATTERMOST_PATHS } from './paths.js';
import { auditRejectedRequest, type RejectedMattermostRequest } from './refusals.js';
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
}

export interface MattermostPlatform {
  notifier: MattermostNotifier;
  client: MattermostClient;
  /** Checks the bot token (GET /users/me) and starts answering requests; before that they get 503. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Mattermost adapter: mounts `POST /mattermost/command` (and GET, for commands set to that method),
 * `POST /mattermost/actions` and `POST /mattermost/dialogs` on the HTTP server, and returns the notifier that
 * workers use to post, edit, reply, DM and upload.
 */
export function createMattermostPlatform(
  config: MattermostConfig,
  deps: MattermostPlatformDeps,
  /** The web half's server; a worker-only process passes none and only sends. */
  http: Pick<HttpServer, 'route'> | undefined,
): MattermostPlatform {
  const { services } = deps;
  const client = new MattermostClient(config.url, config.botToken, deps.requestTimeoutMs);
  const render: RenderPost = (view) =>
    renderMattermostMessage(view, {
      actionUrl: `${config.publicUrl}${MATTERMOST_PATHS.actions}`,
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
      dialogUrl: `${config.publicUrl}${MATTERMOST_PATHS.dialogs}`,
      signState: (state: Parameters<typeof signDialogState>[1]) => signDialogState(config.actionSecret, state, services.clock),
      log: services.log,
    },
    userName: (userId: string) => userNames.nameOf(userId),
    isStarted: () => started,
  };
  if (http) {
    const command = route(inbound, 'command', commandHandler(inbound));
    http.route('POST', MATTERMOST_PATHS.command, command);
    http.route('GET', MATTERMOST_PATHS.command, command);
    http.route('POST', MATTERMOST_PATHS.actions, route(inbound, 'action', actionHandler(inbound)));
    http.route('POST', MATTERMOST_PATHS.dialogs, route(inbound, 'dialog', dialogHandler(inbound)));
  }

  return {
    notifier,
    client,
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
