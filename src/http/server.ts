import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';
import fastifySwagger from '@fastify/swagger';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { TrustProxy } from '../config.js';
import type { Logger } from '../log.js';
import { answerNotFound, answerUnreadableUrl, handleError, KnownRoutes, routeLabelOf, UNMATCHED_ROUTE } from './answers.js';

/** The Fastify instance every door is registered on: zod schemas validate and type its routes. */
export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/**
 * A way in (health, metrics, a chat platform, later the API or the console): a plugin with its own routes, body
 * parsers and hooks, encapsulated so that what one door sets up does not leak into the others.
 */
export type Door = FastifyPluginAsyncZod;

/** Receives one observation per finished request; `route` is the route's template, never the raw URL. */
export type RequestObserver = (labels: { method: string; route: string; status: number }, seconds: number) => void;

export interface HttpServerOptions {
  log: Logger;
  observeRequest?: RequestObserver;
  /** Which proxies' X-Forwarded-For gives the client address (TRUST_PROXY); none by default. */
  trustProxy?: TrustProxy;
}

export interface HttpServer {
  app: HttpApp;
  /** Adds a door; every door is registered before `listen` (Fastify takes no routes once it listens). */
  register(door: Door): void;
  listen(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Graceful stop: no new connections, requests that arrive on open connections get 503, running requests finish
   * (their connections then close), and long-lived responses registered with `closeOnShutdown` are ended first.
   */
  close(): Promise<void>;
  server: Server;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Registers how to end a long-lived response (an event stream) when the server shuts down, since such a response
     * would otherwise hold the shutdown open. Returns the function to call when the response ends on its own.
     */
    closeOnShutdown(close: () => void): () => void;
  }
}

/** The OpenAPI security scheme of a bearer credential in `Authorization`. */
export const BEARER_SCHEME = 'bearer';

/** Node's limit on a request's header section, which holds the request line: no path parameter is longer. */
const MAX_PARAM_LENGTH = 16_384;

/** Node's default time limit for receiving a whole request, which Fastify turns off. */
const REQUEST_TIMEOUT_MS = 300_000;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const knownRoutes = new KnownRoutes();
  const trusted = trustedProxies(options.trustProxy ?? false);
  const app: HttpApp = fastify({
    // Typed as Fastify's base logger, so doors need not know which logger it is.
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    genReqId: requestIdOf,
    trustProxy: trusted ?? false,
    // Each request's logger carries the client's address, the one `request.ip` gives (one child logger, not two).
    childLoggerFactory: (logger, bindings, childOptions, req) =>
      logger.child({ ...bindings, clientIp: trusted ? proxyAddr(req, trusted) : req.socket.remoteAddress }, childOptions),
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Path parameters (and the wildcard of a door's own 404 handler) as long as a request line can be: a longer one
    // would slip past the door to the server's 404 instead of being refused by the route it names.
    maxParamLength: MAX_PARAM_LENGTH,
    frameworkErrors: (error, request, reply) => {
      observeWhenFinished(options, request, reply.raw, UNMATCHED_ROUTE);
      answerUnreadableUrl(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const inFlight = new Set<ServerResponse>();
  const longLived = new Set<() => void>();
  app.decorate('closeOnShutdown', (close: () => void) => {
    longLived.add(close);
    return () => void longLived.delete(close);
  });
  app.addHook('onRoute', (route) => knownRoutes.add(route.method, route.url));
  app.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so that doors which write it themselves (Bolt's receiver) send it too.
    reply.raw.setHeader('X-Request-Id', request.id);
    inFlight.add(reply.raw);
    reply.raw.once('close', () => inFlight.delete(reply.raw));
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    observe(options, request, reply.statusCode, reply.elapsedTime / 1000, routeLabelOf(request));
    done();
  });
  app.addHook('preClose', (done) => {
    // Running requests finish, then their keep-alive connections close instead of holding the shutdown open.
    for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    for (const close of [...longLived]) {
      try {
        close();
      } catch (error) {
        options.log.warn({ err: error }, 'a long-lived response did not close cleanly');
      }
    }
    longLived.clear();
    done();
  });
  app.setNotFoundHandler((request, reply) => answerNotFound(knownRoutes, request, reply));
  app.setErrorHandler(handleError);
  // Ready for the API's OpenAPI 3.1 document: routes with a zod schema and a tag are described, the rest left out.
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Aithroyz ChatOps', version: '1' },
      // Routes that need a bearer credential (the API's keys) name this scheme in their `security`.
      components: { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    hideUntagged: true,
  });

  return {
    app,
    server: app.server,
    register(door) {
      void app.register(door);
    },
    async listen(port, host = '0.0.0.0') {
      await app.listen({ port, host });
      return { port: (app.server.address() as AddressInfo).port };
    },
    close: () => app.close(),
  };
}

function observe(options: HttpServerOptions, request: FastifyRequest, status: number, seconds: number, route: string): void {
  const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
  try {
    options.observeRequest?.({ method, route, status }, seconds);
  } catch (error) {
    request.log.warn({ err: error }, 'request metric not recorded');
  }
}

/** For answers given outside the request lifecycle (a target that is no URL), which Fastify's hooks do not see. */
function observeWhenFinished(options: HttpServerOptions, request: FastifyRequest, response: ServerResponse, route: string): void {
  const started = performance.now();
  response.once('finish', () => observe(options, request, response.statusCode, (performance.now() - started) / 1000, route));
}

/** Which proxies' X-Forwarded-For to believe, as a test of each hop; undefined: none, the peer is the client. */
function trustedProxies(trust: TrustProxy): ((address: string, hop: number) => boolean) | undefined {
  if (trust === false || trust === 0) return undefined;
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/** A caller-supplied request id is kept when it is short and plain; anything else gets a fresh one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * Makes a door take every body as raw bytes, up to `limitBytes`, whatever its content type: for handlers that check
 * a signature over the exact bytes (Slack) or read the body themselves (Mattermost). Fastify would otherwise parse
 * JSON itself, and answer 415 to a form or to a content type it cannot parse. Call it first in the door.
 */
export function acceptRawBodies(door: HttpApp, limitBytes: number): void {
  door.removeAllContentTypeParsers();
  door.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limitBytes }, (_request, body, done) => done(null, body));
  // Fastify refuses a malformed Content-Type before any parser: it reads an octet stream instead, and the handler
  // gets the type as it was sent (the sender's, to judge the body by).
  const declaredTypes = new WeakMap<FastifyRequest, string>();
  door.addHook('onRequest', (request, _reply, done) => {
    const declared = request.raw.headers['content-type'];
    if (declared !== undefined) {
      declaredTypes.set(request, declared);
      request.raw.headers['content-type'] = 'application/octet-stream';
    }
    done();
  });
  door.addHook('preValidation', (request, _reply, done) => {
    const declared = declaredTypes.get(request);
    if (declared !== undefined) request.raw.headers['content-type'] = declared;
    done();
  });
  // The route's own limit is the one a 413 names.
  door.addHook('onRoute', (route) => {
    route.bodyLimit ??= limitBytes;
  });
}

/** The raw body of a request in a door that `acceptRawBodies` (empty when the request had none). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
