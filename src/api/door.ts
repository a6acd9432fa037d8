import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { KnownRoutes } from '../http/answers.js';
import type { Door, HttpApp } from '../http/server.js';
import type { Services } from '../services.js';
import { auditRequest, callOf, guardRequest, type GuardOptions, type RateLimiter } from './guard.js';
import { apiDocument } from './openapi.js';
import { internalProblem, problemOf, ProblemError, sendProblem } from './problems.js';
import { auditRoutes } from './routes/audit.js';
import { environmentRoutes } from './routes/environments.js';
import { presetRoutes } from './routes/presets.js';

/**
 * The REST API door, under /api/v1: a key in `Authorization: Bearer aitz_…` acts for its owner through the same
 * workflows as chat; every request with a key (and refusals without one, coalesced per address) writes one
 * `api.request` entry; errors are problem+json; the OpenAPI 3.1 document is generated from the routes' zod schemas.
 */
export const API_PREFIX = '/api/v1';
/** Largest request body the API reads. */
export const API_BODY_LIMIT = 1_048_576;
const RATE_WINDOW_MS = 60_000;
/** Routes anyone may read, without a key (and without an entry). */
const PUBLIC_ROUTES = new Set([`${API_PREFIX}/openapi.json`]);

export interface ApiDoorOptions {
  s: Services;
  /** Where the per-key and per-address limits and the refusal ledger are kept, shared by every web process. */
  redis: Redis;
}

export function apiDoor(options: ApiDoorOptions): Door {
  const { s, redis } = options;
  const namespace = `${s.config.QUEUE_PREFIX}:api:`;
  return async (root) => {
    await root.register(
      async (api: HttpApp) => {
        await api.register(fastifyRateLimit, {
          global: false,
          redis,
          nameSpace: `${namespace}rate:`,
          max: s.config.API_RATE_LIMIT,
          timeWindow: RATE_WINDOW_MS,
          keyGenerator: (request: FastifyRequest) => callOf(request)?.limitKey ?? `address:${request.ip}`,
        });
        const countRequest = api.createRateLimit();
        const limit: RateLimiter = async (request) => {
          try {
            const counted = await countRequest(request);
            // Nothing is allow-listed: every request is counted.
            if (counted.isAllowed) return { isExceeded: false, ttlInSeconds: 0, max: s.config.API_RATE_LIMIT, remaining: s.config.API_RATE_LIMIT };
            return counted;
          } catch (error) {
            request.log.warn({ err: error }, 'the API rate limit could not be read from Redis');
            throw new ProblemError(503, 'unavailable', 'The API is temporarily unavailable; try again shortly.', undefined, { 'Retry-After': '5' });
          }
        };
        const guard: GuardOptions = { s, redis, limit, namespace, windowMs: RATE_WINDOW_MS };
        const known = new KnownRoutes();
        api.addHook('onRoute', (route) => {
          route.bodyLimit ??= API_BODY_LIMIT;
          known.add(route.method, route.url);
        });
        api.addHook('onRequest', async (request, reply) => {
          if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
          await guardRequest(guard, request, reply);
        });
        api.addHook('onSend', async (request, reply, payload) => {
          await auditRequest(guard, request, reply, routeOf(request, known));
          return payload;
        });
        api.setErrorHandler((error, request, reply) => {
          if (reply.raw.headersSent) {
            request.log.error({ err: error }, 'an API answer failed half-way');
            reply.raw.destroy();
            return;
          }
          const problem = problemOf(error instanceof Error ? error : new Error(String(error)), request);
          if (!problem) {
            request.log.error({ err: error }, `${request.method} ${routeOf(request, known)} failed`);
            return sendProblem(reply, request, internalProblem(request));
          }
          request.log.info({ status: problem.status, code: problem.kind }, `${request.method} ${routeOf(request, known)} refused`);
          if (problem.status === 413) reply.header('Connection', 'close');
          return sendProblem(reply, request, problem);
        });
        api.setNotFoundHandler((request, reply) => {
          const path = request.url.split('?')[0] ?? '';
          const found = known.find(path);
          if (!found) return sendProblem(reply, request, new ProblemError(404, 'not_found', 'The API has no such route.'));
          return sendProblem(
            reply,
            request,
            new ProblemError(405, 'method_not_allowed', `This route does not accept ${request.method}.`, undefined, { Allow: found.methods.join(', ') }),
          );
        });

        api.get('/openapi.json', { schema: { hide: true } }, async () => apiDocument(api.swagger(), API_PREFIX));
        presetRoutes(api, s);
        environmentRoutes(api, s);
        auditRoutes(api, s);
      },
      { prefix: API_PREFIX },
    );
  };
}

/** The route template a request is audited under: its route's, the template of a path it has not the method of, else `unmatched`. */
function routeOf(request: FastifyRequest, known: KnownRoutes): string {
  return request.routeOptions.url ?? known.find(request.url.split('?')[0] ?? '')?.template ?? 'unmatched';
}
