import type { ServerResponse } from 'node:http';
import { defaultBodyLimit, type BufferedIncomingMessage } from '@slack/bolt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { acceptRawBodies, rawBodyOf, type Door } from '../../http/server.js';
import type { Logger } from '../../log.js';
import type { Invocation } from '../types.js';
import { formOf, isSignedBySlack, readBody, sortSignedBody } from './inbound-guard.js';
import { newArrival, recordRejection, type Ack, type Arrival, type SlackHandlers, type SlackRequestHandler } from './listeners.js';
import { futureTimestampProblem, SLACK_TIMESTAMP_HEADER } from './timestamp.js';

/** Bolt's HTTPReceiver answers a request no listener acked after this long with a bare 404; so does this door. */
const UNACKED_MS = 3001;

export interface SlackHttpDoorOptions {
  signingSecret: string;
  /** Holds the HTTP answer until the handler ends (tests); by default the ack is sent as soon as it is given. */
  processBeforeResponse: boolean;
  /** The handler of each kind of request (listeners.ts `slackRequestHandlers`). */
  handle: Readonly<Record<Invocation['kind'], SlackRequestHandler>>;
  handlers: Pick<SlackHandlers, 'recordRejected'>;
  log: Logger;
  clock: Clock;
}

/**
 * Slack's HTTP mode on the web half's own server. Each request is read once, in the order and by the rules of Bolt's
 * HTTPReceiver (a form's `ssl_check`, answered unsigned; the signature; the body; `url_verification` answered here),
 * sorted as Bolt's listeners would match it (inbound-guard.ts), and handed to the handler of its kind with an ack that
 * answers on the response as the HTTPReceiver would: at once, or, with `processBeforeResponse`, once the handler is
 * done; with a 404 when nothing acked within 3 s. Bolt's `processEvent` is left out: the handlers use none of what it
 * adds (a client, `say`, `respond`, its context), and it cost a command's ack a tenth of the process's CPU.
 */
export class SlackHttpDoor {
  private open = false;

  constructor(private readonly options: SlackHttpDoorOptions) {}

  /** Requests before start (or after stop) get 503. */
  start(): void {
    this.open = true;
  }

  stop(): void {
    this.open = false;
  }

  /** `POST <path>` for the web half's server. */
  door(path: string): Door {
    return async (scope) => {
      // The signature is checked over the exact bytes Slack sent, so the body reaches the route unparsed.
      acceptRawBodies(scope, defaultBodyLimit);
      const arrivals = new WeakMap<FastifyRequest, Arrival>();
      // Before the body is read, so that ack latency counts from the request's arrival.
      scope.addHook('onRequest', (request, _reply, done) => {
        arrivals.set(request, newArrival(this.options.clock, request.id));
        done();
      });
      scope.post(path, async (request, reply) => {
        const arrival = arrivals.get(request) ?? newArrival(this.options.clock, request.id);
        await this.receive(request, reply, arrival);
        return reply;
      });
    };
  }

  private async receive(request: FastifyRequest, reply: FastifyReply, arrival: Arrival): Promise<void> {
    const { log } = this.options;
    if (!this.open) return answerEmpty(reply, 503);
    const problem = futureTimestampProblem(request.headers[SLACK_TIMESTAMP_HEADER], this.options.clock.now());
    if (problem) {
      request.log.warn({ problem }, 'refused a Slack request');
      return answerEmpty(reply, 401);
    }
    const buffered: BufferedIncomingMessage = Object.assign(request.raw, { rawBody: rawBodyOf(request) });
    const form = formOf(buffered);
    // Slack's SSL check comes unsigned: Bolt answers it whatever else the form holds.
    if (form?.ssl_check === '1') return answerEmpty(reply, 200);
    if (!isSignedBySlack(this.options.signingSecret, request.headers, buffered.rawBody)) {
      request.log.warn('refused a Slack request without a valid signature');
      return answerEmpty(reply, 401);
    }
    const sorted = sortSignedBody(buffered, readBody(buffered, form));
    if (!sorted.take) {
      await recordRejection(this.options.handlers, log, sorted.rejection, request.id);
      return answerEmpty(reply, 400);
    }
    const { fields, kind } = sorted;
    if (kind === 'door') {
      if (fields.type !== 'url_verification') return answerEmpty(reply, 200);
      reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ challenge: fields.challenge }));
      return;
    }
    // From here the ack answers, on the raw response.
    reply.hijack();
    const ack = new ResponseAck(reply.raw, this.options.processBeforeResponse, log);
    try {
      await this.options.handle[kind](fields, ack.fn, arrival);
    } catch (error) {
      // Left to the ack's time limit, as Bolt leaves a listener that failed before acking.
      log.error({ err: error }, 'Slack listener failed');
    } finally {
      // An ack given before the handler failed still answers.
      ack.sendStored();
    }
  }
}

/** The ack of one request, on its response: Bolt's HTTPResponseAck without its debug lines. */
class ResponseAck {
  private acked = false;
  private stored: Record<string, unknown> | '' | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly response: ServerResponse,
    private readonly processBeforeResponse: boolean,
    log: Logger,
  ) {
    this.timer = setTimeout(() => {
      if (this.acked) return;
      log.error('a Slack request was not acknowledged within 3 seconds');
      if (!response.headersSent) answerRaw(response, 404);
    }, UNACKED_MS);
  }

  readonly fn: Ack = async (body) => {
    if (this.acked) throw new Error('a Slack request was acknowledged twice');
    this.acked = true;
    clearTimeout(this.timer);
    if (this.processBeforeResponse) this.stored = body ?? '';
    else answerContent(this.response, body);
  };

  /** With `processBeforeResponse`, sends the ack's body once the handler is done. */
  sendStored(): void {
    if (this.stored !== undefined) answerContent(this.response, this.stored);
  }
}

/** An ack's body as Bolt sends it: none, or JSON. */
function answerContent(response: ServerResponse, body: Record<string, unknown> | '' | undefined): void {
  if (!body) return answerRaw(response, 200);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function answerRaw(response: ServerResponse, status: number): void {
  response.writeHead(status);
  response.end();
}

/** A status without a body, the way Bolt refuses. */
function answerEmpty(reply: FastifyReply, status: number): void {
  reply.code(status).send();
}
