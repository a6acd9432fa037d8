import type { FastifyReply, FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

/**
 * For pages only this machine may use (the sandbox, where whoever is at the keyboard picks who they are): requests
 * must come from a loopback address, name this machine as their Host (a DNS-rebinding page names its own host), and,
 * when the browser says which page sent them (Origin), come from a page of this machine too. Anything else is
 * answered 403 with no content of the page.
 */
const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a socket address is this machine's (IPv4, IPv6, or IPv4 mapped into IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address || isIP(address) === 0) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/** The host name of a Host header (`localhost:3000` gives `localhost`), lower-cased; undefined when it is malformed. */
function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase();
}

/** Why a request is not from this machine, or undefined when it is. */
export function foreignRequestReason(request: Pick<FastifyRequest, 'headers'> & { raw: { socket: { remoteAddress?: string | undefined } } }): string | undefined {
  // The socket's own peer: X-Forwarded-For never counts here, whatever TRUST_PROXY says.
  if (!isLoopbackAddress(request.raw.socket.remoteAddress)) return 'not from a loopback address';
  const hostname = hostnameOf(request.headers.host);
  if (!hostname || !LOCAL_HOSTNAMES.has(hostname)) return 'Host is not localhost or 127.0.0.1';
  const origin = request.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      const parsed = new URL(origin);
      originHost = parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.hostname.toLowerCase() : undefined;
    } catch {
      originHost = undefined;
    }
    if (!originHost || !LOCAL_HOSTNAMES.has(originHost)) return 'Origin is not this machine';
  }
  return undefined;
}

/** An `onRequest` hook for a door: requests from elsewhere get 403 and nothing else. */
export async function onlyFromThisMachine(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const reason = foreignRequestReason(request);
  if (reason === undefined) return;
  request.log.warn({ reason, host: request.headers.host?.slice(0, 100) }, 'refused a request from outside this machine');
  await reply.code(403).header('Content-Type', 'text/plain; charset=utf-8').header('Cache-Control', 'no-store').send('Forbidden: this page answers only this machine.\n');
}
