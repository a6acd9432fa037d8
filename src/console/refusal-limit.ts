import type { FastifyRequest } from 'fastify';
import { isAppError } from '../errors.js';
import type { HttpApp } from '../http/server.js';

/** The refusals of a sign-in that count against a client address: a bad link, a passkey answer that does not check out. */
const COUNTED_CODES = new Set(['sign_in_refused']);

/**
 * Refused sign-in attempts counted per client address, whatever the method (links, passkeys, the second factor):
 * past the limit, the address is refused before anything it sends is looked at, until the window ends, so refusals
 * can neither be guessed at nor flood the audit log.
 */
export interface RefusalLimit {
  /** True when the address has used up its refusals for this window. */
  reached(request: FastifyRequest): Promise<boolean>;
  /** Counts a refusal when `error` is one (then rethrows it). */
  countIfRefused(request: FastifyRequest, error: unknown): Promise<never>;
}

export function refusalLimit(app: HttpApp, limit: { max: number; windowMs: number }): RefusalLimit {
  const refusals = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs });
  return {
    async reached(request) {
      const state = await refusals(request, { increment: false });
      return !state.isAllowed && state.remaining === 0;
    },
    async countIfRefused(request, error) {
      if (isAppError(error) && COUNTED_CODES.has(error.code)) await refusals(request);
      throw error;
    },
  };
}

/** The answer past the limit (the console's error handler renders it as a page). */
export function tooManyRefusals(): Error & { statusCode: number } {
  return Object.assign(new Error('too many refused sign-ins from this address'), { statusCode: 429 });
}
