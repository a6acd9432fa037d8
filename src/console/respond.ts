import type { FastifyReply } from 'fastify';

/** Sends a rendered page; console pages are never cached (they show who is signed in and what they may see). */
export function sendHtml(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(page);
}

/** True when htmx asked (it then wants the part of the page it swaps, not a redirect). */
export function isHtmx(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['hx-request'] === 'true';
}
