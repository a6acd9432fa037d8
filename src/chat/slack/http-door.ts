import type { ServerResponse } from 'node:http';
import {
  defaultBodyLimit,
  HTTPModuleFunctions,
  ReceiverMultipleAckError,
  type AckFn,
  type App,
  type BufferedIncomingMessage,
  type Receiver,
} from '@slack/bolt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { acceptRawBodies, rawBodyOf, type Door } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { formOf, isSignedBySlack, readBody, rejectionFor, sortSignedBody } from './inbound-guard.js';
import { newArrival, recordRejection, type Arrival, type SlackHandlers } from './listeners.js';
import { futureTimestampProblem, SLACK_TIMESTAMP_HEADER } from './timestamp.js';

/** Bolt's HTTPReceiver answers a request no listener acked after this long with a bare 404; so does this door. */
const UNACKED_MS = 3001;

export interface SlackHttpDoorOptions {
  signingSecret: string;
  /** Holds the HTTP answer until the listener ends (tests); by default the ack is sent as soon as it is given. */
  processBeforeResponse: boolean;
  handlers: Pick<SlackHandlers, 'recordRejected'>;
  log: Logger;
  clock: Clock;
}

/**
 * Slack's HTTP mode on the web half's own server: a Bolt receiver whose only way in is the door it gives. Each request
 * is read once, in the order Bolt's HTTPReceiver reads it (a form's `ssl_check`, answered unsigned; the signature, by
 * Bolt's rules; the body; `url_verification` answered here), sorted (inbound-guard.ts), and handed to the
 * Bolt app's `processEvent` with an ack that answers on the response as the HTTPReceiver would: at once, or, with
 * `processBeforeResponse`, once the listener is done; with a 404 when nothing acked within 3 s.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private open = false;

  constructor(private readonly options: SlackHttpDoorOptions) {}

  init(app: App): void {
    this.app = app;
  }

  /** Requests before start (or after stop) get 503. */
  start(): Promise<void> {
    this.open = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.open = false;
    return Promise.resolve();
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
    const app = this.app;
    if (!this.open || !app) return answerEmpty(reply, 503);
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
    const { fields } = sorted;
    if (fields.ssl_check === '1') return answerEmpty(reply, 200);
    if (fields.type === 'url_verification') {
      reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ challenge: fields.challenge }));
      return;
    }
    // From here the ack answers, on the raw response.
    reply.hijack();
    const response = reply.raw;
    const ack = new ResponseAck(response, this.options.processBeforeResponse, log);
    try {
      await app.processEvent({
        body: fields,
        ack: ack.fn,
        retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(request.raw),
        retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(request.raw),
        customProperties: { arrival },
      });
      ack.sendStored();
    } catch (error) {
      if (await this.refuseWhatBoltCannotRead(error, buffered, response, arrival.requestId)) ack.settle();
    }
  }

  /**
   * Bolt throws before any listener for some signed bodies it cannot read (a block_actions payload without a user, a
   * view_submission without a view): answered 400 and audited as `invalid` instead of a 500. True when answered here.
   */
  private async refuseWhatBoltCannotRead(error: unknown, request: BufferedIncomingMessage, response: ServerResponse, requestId: string): Promise<boolean> {
    const { log } = this.options;
    if (response.headersSent) {
      log.error({ err: error }, 'a Slack listener failed after its ack');
      return false;
    }
    const message = error instanceof Error ? error.message : String(error);
    const rejection = rejectionFor(request, `Bolt could not read the payload (${message.slice(0, 120)})`);
    await recordRejection(this.options.handlers, log, rejection, requestId);
    answerRaw(response, 400);
    return true;
  }
}

/** The ack of one request, on its response: Bolt's HTTPResponseAck without its debug lines. */
class ResponseAck {
  private acked = false;
  private stored: unknown;
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

  readonly fn: AckFn<unknown> = async (body) => {
    if (this.acked) throw new ReceiverMultipleAckError();
    this.settle();
    if (this.processBeforeResponse) this.stored = body ?? '';
    else answerContent(this.response, body);
  };

  /** No ack is due any more (given, or the request answered otherwise). */
  settle(): void {
    this.acked = true;
    clearTimeout(this.timer);
  }

  /** With `processBeforeResponse`, sends the ack's body once the listener is done. */
  sendStored(): void {
    if (this.stored !== undefined) answerContent(this.response, this.stored);
  }
}

/** An ack's body as Bolt sends it: none, text, or JSON. */
function answerContent(response: ServerResponse, body: unknown): void {
  if (!body) answerRaw(response, 200);
  else if (typeof body === 'string') answerRaw(response, 200, body);
  else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}

function answerRaw(response: ServerResponse, status: number, text?: string): void {
  response.writeHead(status);
  response.end(text);
}

/** A status without a body, the way Bolt refuses. */
function answerEmpty(reply: FastifyReply, status: number): void {
  reply.code(status).send();
}
