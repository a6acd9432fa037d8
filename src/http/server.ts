import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

/** What every handler receives besides the raw request and response. */
export interface RequestContext {
  requestId: string;
  log: Logger;
  /** The parsed request URL (path and query). */
  url: URL;
}

/**
 * A route handler. The request body is left unread: the Slack adapter hands the request to Bolt's receiver, which
 * reads the raw body itself to check the signature. Handlers that want the body call `readBody`.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => Promise<void> | void;

/** Receives one observation per finished request; `route` is the registered path, never the raw URL. */
export type RequestObserver = (labels: { method: string; route: string; status: number }, seconds: number) => void;

export interface HttpServerOptions {
  log: Logger;
  observeRequest?: RequestObserver;
}

export interface HttpServer {
  route(method: string, path: string, handler: RouteHandler): void;
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
  server: Server;
}

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

/** Route label for requests that matched nothing, so arbitrary paths don't become metric series. */
const UNMATCHED_ROUTE = 'unmatched';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const routes = new Map<string, Map<string, RouteHandler>>();

  const server = createServer((req, res) => {
    void handleRequest(req, res);
  });
  // Malformed HTTP from a client must not take the process down.
  server.on('clientError', (error, socket) => {
    options.log.debug({ err: error }, 'http client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = parseUrl(req.url);
    const byMethod = url ? routes.get(url.pathname) : undefined;
    const handler = byMethod?.get(method) ?? (method === 'HEAD' ? byMethod?.get('GET') : undefined);
    const route = url && byMethod ? url.pathname : UNMATCHED_ROUTE;
    const log = options.log.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      const labels = { method: KNOWN_METHODS.has(method) ? method : 'OTHER', route, status: res.statusCode };
      try {
        options.observeRequest?.(labels, (performance.now() - started) / 1000);
      } catch (error) {
        log.warn({ err: error }, 'request metric not recorded');
      }
    });
    try {
      if (!url) {
        sendJson(res, 400, { error: 'bad_request', message: 'The request target is not a valid URL.', requestId });
      } else if (!byMethod) {
        sendJson(res, 404, { error: 'not_found', message: `No route for ${method} ${url.pathname}`, requestId });
      } else if (!handler) {
        res.setHeader('Allow', [...byMethod.keys()].join(', '));
        sendJson(res, 405, { error: 'method_not_allowed', message: `${url.pathname} does not accept ${method}`, requestId });
      } else {
        await handler(req, res, { requestId, log, url });
      }
    } catch (error) {
      respondToError(error, res, requestId, log, `${method} ${route}`);
    }
  }

  return {
    server,
    route(method, path, handler) {
      const upper = method.toUpperCase();
      const byMethod = routes.get(path) ?? new Map<string, RouteHandler>();
      if (byMethod.has(upper)) throw new Error(`route ${upper} ${path} is already registered`);
      byMethod.set(upper, handler);
      routes.set(path, byMethod);
    },
    listen(port, host = '0.0.0.0') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      });
    },
  };
}

function respondToError(error: unknown, res: ServerResponse, requestId: string, log: Logger, where: string): void {
  if (error instanceof HttpError) {
    log.info({ status: error.status, code: error.code }, `${where} refused: ${error.message}`);
    if (error.status === 413) res.setHeader('Connection', 'close');
    if (!res.headersSent) sendJson(res, error.status, { error: error.code, message: error.message, requestId });
    else res.destroy();
    return;
  }
  log.error({ err: error }, `${where} failed`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, { error: 'internal', message: `Something went wrong (request id ${requestId}).`, requestId });
}

/** The request target as a URL, or undefined when it cannot be parsed (an absolute-form target can be anything). */
function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** A caller-supplied request id is kept when it is short and plain; anything else gets a fresh one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/** Writes a JSON response with exactly `Content-Type: application/json`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads the whole request body, refusing (413) one larger than `limitBytes` without buffering the rest. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, 'payload_too_large', `The request body is larger than ${limitBytes} bytes.`);
  const declared = Number(req.headers['content-length']);
  // Node discards what is left of a refused body once the response ends; the 413 also closes the connection.
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        cleanup();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    // A client that goes away mid-body ends with 'close' and no 'end'.
    const onClose = () => onError(new Error('the client closed the connection before sending the whole body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
