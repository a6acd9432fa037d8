import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Router from 'find-my-way';

/**
 * The answers the server gives on its own, in one JSON shape `{ error, message, requestId }`: no route (404), a
 * route that does not take the method (405, with Allow), a target that is no URL (400), a refused request (4xx) and
 * a failed handler (500, logged in full; the process keeps serving).
 */

/** An error whose status and code reach the client as they are (the message must be safe to show). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Writes a JSON answer with exactly `Content-Type: application/json`: Mattermost reads a command's answer as JSON
 * under no other.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // A Buffer is sent as it is: Fastify would add a charset to the type of a serialised object.
  return reply.code(status).type('application/json').send(Buffer.from(JSON.stringify(body)));
}

/** Route label for requests that matched nothing, so arbitrary paths don't become metric series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Templates answered 405 (the path is known, the method is not), as their route label. */
const notAllowedRoutes = new WeakMap<FastifyRequest, string>();

/** The route template a request is counted under: its route's, the known path's for a 405, else `unmatched`. */
export function routeLabelOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? notAllowedRoutes.get(request) ?? UNMATCHED_ROUTE;
}

/** Every route the server has, by method, to tell a path it does not know (404) from a method it does not take (405). */
export class KnownRoutes {
  private readonly router = Router();
  private readonly methods = new Set<Router.HTTPMethod>();

  add(method: string | string[], url: string): void {
    for (const one of (Array.isArray(method) ? method : [method]) as Router.HTTPMethod[]) {
      // A duplicate is Fastify's to refuse, with its own error.
      if (this.router.hasRoute(one, url)) continue;
      this.router.on(one, url, () => undefined, { template: url });
      this.methods.add(one);
    }
  }

  /** The methods a path takes, and its template; undefined when no route has that path. */
  find(path: string): { methods: string[]; template: string } | undefined {
    let template: string | undefined;
    const methods = [...this.methods].filter((method) => {
      const found = this.router.find(method, path);
      template ??= (found?.store as { template?: string } | undefined)?.template;
      return found !== null;
    });
    return template === undefined ? undefined : { methods, template };
  }
}

export function answerNotFound(routes: KnownRoutes, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '/';
  const known = routes.find(path);
  if (!known) return sendJson(reply, 404, { error: 'not_found', message: `No route for ${request.method} ${path}`, requestId: request.id });
  notAllowedRoutes.set(request, known.template);
  reply.header('Allow', known.methods.join(', '));
  return sendJson(reply, 405, { error: 'method_not_allowed', message: `${path} does not accept ${request.method}`, requestId: request.id });
}

/** A request target Fastify cannot route (not a URL, broken percent-encoding): before any hook, hence its own header. */
export function answerUnreadableUrl(_error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.raw.setHeader('X-Request-Id', request.id);
  sendJson(reply, 400, { error: 'bad_request', message: 'The request target is not a valid URL.', requestId: request.id });
}

/** What refusal codes Fastify's own 4xx errors (body parsing, validation) get. */
const REFUSAL_CODES: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };

/** The error handler of every door unless one sets its own: refusals as they are, failures as a 500 with a request id. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const where = `${request.method} ${routeLabelOf(request)}`;
  const refusal = refusalOf(error, request);
  if (refusal) request.log.info({ status: refusal.status, code: refusal.code }, `${where} refused: ${refusal.message}`);
  else request.log.error({ err: error }, `${where} failed`);
  if (reply.raw.headersSent) {
    // Half an answer cannot be taken back: the client sees the connection drop instead of a truncated body.
    reply.raw.destroy();
    return undefined;
  }
  if (refusal) {
    // The rest of a refused body is not read: the connection cannot carry another request.
    if (refusal.status === 413) reply.header('Connection', 'close');
    return sendJson(reply, refusal.status, { error: refusal.code, message: refusal.message, requestId: request.id });
  }
  return sendJson(reply, 500, { error: 'internal', message: `Something went wrong (request id ${request.id}).`, requestId: request.id });
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

function refusalOf(error: FastifyError, request: FastifyRequest): Refusal | undefined {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message };
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (status === 413) {
    return { status, code: REFUSAL_CODES[status]!, message: `The request body is larger than ${request.routeOptions.bodyLimit} bytes.` };
  }
  // Fastify's own messages (and zod's, for a schema) say what is wrong with the request; other errors' may not be safe.
  const ownMessage = error.code?.startsWith('FST_') === true || error.validation !== undefined;
  return { status, code: REFUSAL_CODES[status] ?? 'bad_request', message: ownMessage ? error.message : (STATUS_CODES[status] ?? 'Bad request') };
}
