import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { DIALOGS_CHECKED_BEFORE_CLOSING, type View } from '../../../blocks/view.js';
import { errorView } from '../../../blocks/views/error.js';
import { presentError } from '../../../commands/present-error.js';
import type { Clock } from '../../clock.js';
import type { UserRef } from '../../domain/users.js';
import type { Logger } from '../../log.js';
import type { DialogSubmission, Invocation, Reply } from '../types.js';
import { deliverReply, ephemeralBody, isEmptyView, type Responder } from './replies.js';
import { COMMAND_PATTERN } from './inbound-guard.js';
import {
  translateAction,
  translateCommand,
  translateViewSubmission,
  type RequestMeta,
  type SlackRejection,
  type Translation,
} from './translate.js';

/** A signed request that could not be turned into an invocation (it is audited as `invalid` all the same). */
export interface RejectedSlackRequest {
  platform: 'slack';
  requestId: string;
  kind: Invocation['kind'];
  user?: UserRef;
  channelId?: string;
  reason: string;
}

export interface AckSample {
  platform: 'slack';
  kind: Invocation['kind'];
  requestId: string;
  /** From the request reaching us to its ack. */
  seconds: number;
}

export interface SlackHandlers {
  /** Handles, audits and answers one invocation (commands/index.ts `handleInvocation`). */
  handle(invocation: Invocation): Promise<Reply>;
  recordRejected(request: RejectedSlackRequest): Promise<void>;
  onAck?(sample: AckSample): void;
}

export interface ListenerOptions {
  handlers: SlackHandlers;
  responder: Responder;
  clock: Clock;
  log: Logger;
  /** A command whose handler is slower than this is acked with "working on it" and answered through its response_url. */
  ackDeadlineMs: number;
}

/** When and how a request reached us: set by the door (or, over Socket Mode, Bolt's context), read by the handlers. */
export interface Arrival {
  requestId: string;
  receivedAt: Date;
  startedMs: number;
}

export function newArrival(clock: Clock, requestId: string = randomUUID()): Arrival {
  return { requestId, receivedAt: clock.now(), startedMs: performance.now() };
}

function arrivalOf(context: Record<string, unknown>, clock: Clock): Arrival {
  const arrival = context.arrival as Partial<Arrival> | undefined;
  if (arrival && typeof arrival.requestId === 'string' && arrival.receivedAt instanceof Date && typeof arrival.startedMs === 'number') {
    return arrival as Arrival;
  }
  return newArrival(clock);
}

/** Answers a request over its transport: the HTTP response, or the Socket Mode envelope. */
export type Ack = (body?: Record<string, unknown>) => Promise<void>;

/** Handles one request of a kind this app takes, from its fields as Slack sent them, its ack, and when it arrived. */
export type SlackRequestHandler = (body: unknown, ack: Ack, arrival: Arrival) => Promise<void>;

/**
 * The handlers of the requests this app takes, by kind: slash commands (any `/name`), button clicks and modal
 * submissions. The HTTP door sorts a request and calls one; over Socket Mode, Bolt's middleware does
 * (`registerListeners`).
 */
export function slackRequestHandlers(options: ListenerOptions): Readonly<Record<Invocation['kind'], SlackRequestHandler>> {
  return {
    command: (body, ack, arrival) => onCommand(options, body, ack, arrival),
    action: async (body, ack, arrival) => {
      await acknowledge(options, ack, undefined, arrival, 'action');
      await onInteraction(options, translateAction(body, metaOf(arrival)), arrival);
    },
    dialog: (body, ack, arrival) => onViewSubmission(options, body, ack, arrival),
  };
}

/**
 * Socket Mode: one global middleware sorts each request as Bolt's listeners would match it (`app.command`,
 * `app.action({ type: 'block_actions' })`, `app.view({ type: 'view_submission' })`) and runs its handler; it calls no
 * further middleware. (Bolt runs the matchers of every registered listener for every request.)
 */
export function registerListeners(app: App, options: ListenerOptions): void {
  const handle = slackRequestHandlers(options);
  app.use(async (args) => {
    if ('command' in args && args.command && COMMAND_PATTERN.test(args.command.command)) {
      await handle.command(args.body, args.ack as Ack, arrivalOf(args.context, options.clock));
    } else if ('action' in args && args.action && args.body.type === 'block_actions') {
      await handle.action(args.body, args.ack as Ack, arrivalOf(args.context, options.clock));
    } else if ('view' in args && args.body.type === 'view_submission') {
      await handle.dialog(args.body, args.ack as Ack, arrivalOf(args.context, options.clock));
    }
  });
  app.error(async (error) => {
    options.log.error({ err: error }, 'Slack listener failed');
  });
}

async function onViewSubmission(options: ListenerOptions, body: unknown, ack: Ack, arrival: Arrival): Promise<void> {
  const translation = translateViewSubmission(body, metaOf(arrival));
  if (translation.ok && (DIALOGS_CHECKED_BEFORE_CLOSING as readonly string[]).includes(translation.invocation.callbackId)) {
    await onCheckedSubmission(options, translation, ack, arrival);
    return;
  }
  // Acking with no body closes the modal; the answer follows where the button was clicked.
  await acknowledge(options, ack, undefined, arrival, 'dialog');
  await onInteraction(options, translation, arrival);
}

function metaOf(arrival: Arrival): RequestMeta {
  return { requestId: arrival.requestId, receivedAt: arrival.receivedAt };
}

async function acknowledge(options: ListenerOptions, ack: Ack, body: Record<string, unknown> | undefined, arrival: Arrival, kind: Invocation['kind']): Promise<void> {
  await ack(body);
  const seconds = (performance.now() - arrival.startedMs) / 1000;
  options.handlers.onAck?.({ platform: 'slack', kind, requestId: arrival.requestId, seconds });
}

/** Commands answer in their ack, which must come within 3 s: the handler gets until the deadline, then the ack goes. */
async function onCommand(options: ListenerOptions, body: unknown, ack: Ack, arrival: Arrival): Promise<void> {
  const translation = translateCommand(body, metaOf(arrival));
  if (!translation.ok) {
    await acknowledge(options, ack, ephemeralBody(notUnderstood(arrival.requestId)), arrival, 'command');
    await recordRejection(options.handlers, options.log, translation.rejection, arrival.requestId);
    return;
  }
  const { invocation, route } = translation;
  const { handled, early } = await handleUntilDeadline(options, invocation);
  const place = placeOf(invocation);
  if (early === undefined) {
    await acknowledge(options, ack, ephemeralBody(workingOnIt(invocation.requestId)), arrival, 'command');
    await deliverReply(options.responder, await handled, route, place, { viewSentInAck: false });
    return;
  }
  await acknowledge(options, ack, isEmptyView(early.view) ? undefined : ephemeralBody(early.view), arrival, 'command');
  await deliverReply(options.responder, early, route, place, { viewSentInAck: true });
}

async function onInteraction(options: ListenerOptions, translation: Translation<Invocation>, arrival: Arrival): Promise<void> {
  if (!translation.ok) {
    await recordRejection(options.handlers, options.log, translation.rejection, arrival.requestId);
    const place = { userId: translation.rejection.user?.id ?? '', channelId: translation.rejection.channelId ?? '', requestId: arrival.requestId };
    const reply = { view: notUnderstood(arrival.requestId) };
    if (place.userId !== '') await deliverReply(options.responder, reply, translation.route, place, { viewSentInAck: false });
    return;
  }
  const { invocation, route } = translation;
  const reply = await handleSafely(options, invocation);
  await deliverReply(options.responder, reply, route, placeOf(invocation), { viewSentInAck: false });
}

/**
 * A form answered before it closes: the handler runs first (until the ack deadline), and refused fields go back in
 * the ack as `response_action: errors`, so the modal stays open with each problem under its field. Anything else
 * closes the modal and answers where the form was opened. A handler slower than the deadline gets the same answer
 * after the modal has closed.
 */
async function onCheckedSubmission(options: ListenerOptions, translation: Translation<DialogSubmission> & { ok: true }, ack: Ack, arrival: Arrival): Promise<void> {
  const { invocation, route } = translation;
  const { handled, early } = await handleUntilDeadline(options, invocation);
  const place = placeOf(invocation);
  if (early?.fieldErrors && Object.keys(early.fieldErrors).length > 0) {
    await acknowledge(options, ack, { response_action: 'errors', errors: early.fieldErrors }, arrival, 'dialog');
    return;
  }
  await acknowledge(options, ack, undefined, arrival, 'dialog');
  await deliverReply(options.responder, early ?? (await handled), route, place, { viewSentInAck: false });
}

/** Runs the handler until the ack deadline: `early` is its reply if it came in time, else undefined (it keeps running). */
async function handleUntilDeadline(options: ListenerOptions, invocation: Invocation): Promise<{ handled: Promise<Reply>; early: Reply | undefined }> {
  const handled = handleSafely(options, invocation);
  const timer = deadline(options.ackDeadlineMs);
  const early = await Promise.race([handled, timer.passed]);
  timer.cancel();
  return { handled, early };
}

function placeOf(invocation: Invocation): { userId: string; channelId: string; requestId: string } {
  return { userId: invocation.user.id, channelId: invocation.channelId, requestId: invocation.requestId };
}

async function handleSafely(options: ListenerOptions, invocation: Invocation): Promise<Reply> {
  try {
    return await options.handlers.handle(invocation);
  } catch (error) {
    return { view: presentError(error, invocation.requestId, options.log).view };
  }
}

/** Audits a signed request that was refused as unreadable; never throws. */
export async function recordRejection(handlers: Pick<SlackHandlers, 'recordRejected'>, log: Logger, rejection: SlackRejection, requestId: string): Promise<void> {
  log.warn({ requestId, kind: rejection.kind, reason: rejection.reason }, 'refused a signed Slack request');
  try {
    await handlers.recordRejected({
      platform: 'slack',
      requestId,
      kind: rejection.kind,
      reason: rejection.reason,
      ...(rejection.user ? { user: rejection.user } : {}),
      ...(rejection.channelId ? { channelId: rejection.channelId } : {}),
    });
  } catch (error) {
    log.error({ err: error, requestId }, 'could not record a refused Slack request');
  }
}

function deadline(ms: number): { passed: Promise<undefined>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return { passed, cancel: () => clearTimeout(timer) };
}

function notUnderstood(requestId: string): View {
  return errorView({
    message: 'This request could not be read.',
    hint: 'Use `/env help` to see the commands and how to use them.',
    requestId,
    tone: 'warning',
  });
}

function workingOnIt(requestId: string): View {
  const text = `Working on it… (request id \`${requestId}\`)`;
  return { text, blocks: [{ kind: 'context', text }] };
}
