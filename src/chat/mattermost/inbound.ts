import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { renderMattermostText } from '../../../blocks/mattermost.js';
import { DIALOGS_CHECKED_BEFORE_CLOSING, isEmptyView } from '../../../blocks/view.js';
import { errorView } from '../../../blocks/views/error.js';
import { presentError } from '../../../commands/present-error.js';
import type { MattermostConfig } from '../../config.js';
import type { UserRef } from '../../domain/users.js';
import { sendJson } from '../../http/answers.js';
import { acceptRawBodies, rawBodyOf, type Door } from '../../http/server.js';
import type { Services } from '../../services.js';
import type { Invocation, Reply } from '../types.js';
import { MATTERMOST_PATHS } from './paths.js';
import { answerAction, answerCommand, answerDialog, type Responder } from './replies.js';
import { readActionRequest, readCommandRequest, readDialogRequest, rejectionOf, type Rejection } from './request-shapes.js';
import { matchesCommandToken, verifyActionContext, verifyDialogState } from './signing.js';

/** The three routes Mattermost calls: slash commands, button clicks and dialog submissions. */

export interface AckSample {
  platform: 'mattermost';
  kind: Invocation['kind'];
  requestId: string;
  /** From the request reaching us to the answer being written. */
  seconds: number;
}

/** A request the adapter refused before it reached a handler. */
export interface RejectedMattermostRequest {
  platform: 'mattermost';
  requestId: string;
  kind: Invocation['kind'];
  /** Who the request says sent it. Unverified when `outcome` is `denied`. */
  user?: UserRef;
  channelId?: string;
  /** For the audit log and logs, never shown to users. */
  reason: string;
  /** `denied`: it failed verification (command token, button signature, dialog state); `invalid`: it could not be read. */
  outcome: 'invalid' | 'denied';
}

export interface InboundDeps {
  config: MattermostConfig;
  services: Services;
  handle(invocation: Invocation): Promise<Reply>;
  recordRejected(request: RejectedMattermostRequest): Promise<void>;
  onAck?(sample: AckSample): void;
  responder: Responder;
  /** A user's name for requests that carry only the id (dialog submissions). */
  userName(userId: string): Promise<string>;
  isStarted(): boolean;
}

/** Mattermost posts are at most 16,383 characters; no genuine request comes near this. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** What a handler knows of its request besides the request itself. */
interface RequestContext {
  requestId: string;
  log: FastifyBaseLogger;
  /** The request URL (path and query). */
  url: URL;
}

type Handler = (req: FastifyRequest, res: FastifyReply, context: RequestContext, arrival: Arrival) => Promise<void>;

interface Arrival {
  receivedAt: Date;
  startedMs: number;
}

/**
 * The routes as a door of the web half's server: bodies read raw (forms and JSON alike, within the limit), `GET` for
 * commands set to that method.
 */
export function mattermostDoor(deps: InboundDeps): Door {
  const arrivals = new WeakMap<FastifyRequest, Arrival>();
  return async (scope) => {
    acceptRawBodies(scope, BODY_LIMIT_BYTES);
    // Before the body is read, so that ack latency counts from the request's arrival.
    scope.addHook('onRequest', (req, _res, done) => {
      arrivals.set(req, { receivedAt: deps.services.clock.now(), startedMs: performance.now() });
      done();
    });
    const route = (kind: Invocation['kind'], handler: Handler) => async (req: FastifyRequest, res: FastifyReply) => {
      const context = { requestId: req.id, log: req.log, url: new URL(req.url, 'http://localhost') };
      if (!deps.isStarted()) {
        return sendJson(res, 503, { error: 'starting', message: 'The bot is starting; try again in a moment.', requestId: context.requestId });
      }
      const arrival = arrivals.get(req) ?? { receivedAt: deps.services.clock.now(), startedMs: performance.now() };
      await handler(req, res, context, arrival);
      deps.onAck?.({ platform: 'mattermost', kind, requestId: context.requestId, seconds: (performance.now() - arrival.startedMs) / 1000 });
      return res;
    };
    const command = route('command', commandHandler(deps));
    scope.post(MATTERMOST_PATHS.command, command);
    scope.get(MATTERMOST_PATHS.command, command);
    scope.post(MATTERMOST_PATHS.actions, route('action', actionHandler(deps)));
    scope.post(MATTERMOST_PATHS.dialogs, route('dialog', dialogHandler(deps)));
  };
}

function commandHandler(deps: InboundDeps): Handler {
  return async (req, res, context, arrival) => {
    const fields = req.method === 'GET' ? context.url.searchParams : formFields(req);
    if (!matchesCommandToken(commandToken(req.headers.authorization, fields), deps.config.commandTokens)) {
      await recordRejection(deps, context, 'command', rejectionOfFields(fields, 'the command token is not one of MATTERMOST_COMMAND_TOKENS'), 'denied');
      sendJson(res, 401, { error: 'invalid_token', message: 'The command token is not valid for this bot.', requestId: context.requestId });
      return;
    }
    const read = readCommandRequest(fields);
    if (!read.ok) {
      await recordRejection(deps, context, 'command', read, 'invalid');
      sendJson(res, 400, { error: 'invalid_request', message: 'The command request could not be read.', requestId: context.requestId });
      return;
    }
    const request = read.value;
    const reply = await handleSafely(deps, {
      kind: 'command',
      requestId: context.requestId,
      platform: 'mattermost',
      user: request.user,
      channelId: request.channelId,
      receivedAt: arrival.receivedAt,
      command: request.command,
      text: request.text,
    });
    const place = { userId: request.user.id, channelId: request.channelId, triggerId: request.triggerId, requestId: context.requestId };
    sendJson(res, 200, await answerCommand(deps.responder, reply, place));
  };
}

function actionHandler(deps: InboundDeps): Handler {
  return async (req, res, context, arrival) => {
    const read = readActionRequest(rawBodyOf(req));
    if (!read.ok) {
      await recordRejection(deps, context, 'action', read, 'invalid');
      sendJson(res, 400, { error: 'invalid_request', message: 'The action request could not be read.', requestId: context.requestId });
      return;
    }
    const request = read.value;
    const verified = verifyActionContext(deps.config.actionSecret, request.context, deps.services.clock);
    if (!verified.ok) {
      await recordRejection(deps, context, 'action', rejectionOf(verified.reason, request.user.id, request.user.name, request.channelId), 'denied');
      // A 200 with an explanation: any other status shows the user a bare "integration error" instead.
      sendJson(res, 200, { ephemeral_text: renderMattermostText(unverifiedView('This button could not be verified', context.requestId)) });
      return;
    }
    const reply = await handleSafely(deps, {
      kind: 'action',
      requestId: context.requestId,
      platform: 'mattermost',
      user: request.user,
      channelId: request.channelId,
      receivedAt: arrival.receivedAt,
      actionId: verified.value.actionId,
      value: verified.value.value,
      message: request.postId ? { platform: 'mattermost', channelId: request.channelId, messageId: request.postId } : undefined,
    });
    const place = { userId: request.user.id, channelId: request.channelId, triggerId: request.triggerId, requestId: context.requestId };
    sendJson(res, 200, await answerAction(deps.responder, reply, place));
  };
}

function dialogHandler(deps: InboundDeps): Handler {
  return async (req, res, context, arrival) => {
    const read = readDialogRequest(rawBodyOf(req));
    if (!read.ok) {
      await recordRejection(deps, context, 'dialog', read, 'invalid');
      sendJson(res, 400, { error: 'invalid_request', message: 'The dialog submission could not be read.', requestId: context.requestId });
      return;
    }
    const request = read.value;
    if (request.cancelled) {
      sendJson(res, 200, {});
      return;
    }
    const verified = verifyDialogState(deps.config.actionSecret, request.state, deps.services.clock);
    const problem = !verified.ok
      ? verified.reason
      : verified.value.callbackId !== request.callbackId
        ? 'the dialog state belongs to another dialog'
        : verified.value.userId !== request.userId
          ? 'the dialog was opened for another user'
          : undefined;
    if (!verified.ok || problem) {
      await recordRejection(deps, context, 'dialog', rejectionOf(problem ?? 'unverified', request.userId, undefined, request.channelId), 'denied');
      sendJson(res, 200, { error: renderMattermostText(unverifiedView('This form could not be verified', context.requestId)) });
      return;
    }
    const user = { platform: 'mattermost' as const, id: request.userId, name: await deps.userName(request.userId) };
    const reply = await handleSafely(deps, {
      kind: 'dialog',
      requestId: context.requestId,
      platform: 'mattermost',
      user,
      channelId: request.channelId,
      receivedAt: arrival.receivedAt,
      callbackId: request.callbackId,
      value: verified.value.value,
      fields: request.fields,
    });
    sendJson(res, 200, answerDialog(reply, Object.keys(request.fields)));
    await confirmByDm(deps, request.callbackId, reply, user.id, context.requestId);
  };
}

/**
 * Mattermost has no answer to a dialog but closing it or showing errors, and bots may not post ephemeral messages:
 * the forms that are checked before closing (cloud keys) confirm by DM what they did.
 */
async function confirmByDm(deps: InboundDeps, callbackId: string, reply: Reply, userId: string, requestId: string): Promise<void> {
  if (!(DIALOGS_CHECKED_BEFORE_CLOSING as readonly string[]).includes(callbackId)) return;
  if ((reply.outcome ?? 'ok') !== 'ok' || isEmptyView(reply.view)) return;
  await deps.responder.notifier.dm(userId, reply.view).catch((error: unknown) => {
    deps.services.log.warn({ err: error, requestId }, 'could not send the confirmation of a form by DM');
  });
}

async function handleSafely(deps: InboundDeps, invocation: Invocation): Promise<Reply> {
  try {
    return await deps.handle(invocation);
  } catch (error) {
    const presented = presentError(error, invocation.requestId, deps.services.log);
    return { view: presented.view, outcome: presented.outcome };
  }
}

async function recordRejection(deps: InboundDeps, context: RequestContext, kind: Invocation['kind'], rejection: Rejection, outcome: 'invalid' | 'denied'): Promise<void> {
  context.log.warn({ kind, reason: rejection.reason, outcome }, 'refused a Mattermost request');
  try {
    await deps.recordRejected({
      platform: 'mattermost',
      requestId: context.requestId,
      kind,
      reason: rejection.reason,
      outcome,
      ...(rejection.userId ? { user: { platform: 'mattermost', id: rejection.userId, name: rejection.userName ?? rejection.userId } } : {}),
      ...(rejection.channelId ? { channelId: rejection.channelId } : {}),
    });
  } catch (error) {
    context.log.error({ err: error }, 'could not record a refused Mattermost request');
  }
}

function unverifiedView(what: string, requestId: string) {
  return errorView({
    message: `${what}, so nothing was done.`,
    hint: 'Use the buttons of the latest message from the bot, or `/env status <env-id>` to see where things stand.',
    requestId,
    tone: 'warning',
  });
}

/** `Authorization: Token <token>` as the server sends it, else the form's `token` field. */
function commandToken(authorization: string | undefined, fields: URLSearchParams): string | undefined {
  const match = /^Token\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? fields.get('token') ?? undefined;
}

function formFields(req: FastifyRequest): URLSearchParams {
  const body = rawBodyOf(req);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
}

function rejectionOfFields(fields: URLSearchParams, reason: string): Rejection {
  return rejectionOf(reason, fields.get('user_id'), fields.get('user_name'), fields.get('channel_id'));
}
