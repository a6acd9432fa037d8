import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { actedBy, type AuditActor, type AuditEntryInput } from '../audit/types.js';
import type { ApiKeyRow } from '../db/schema/api-keys.js';
import type { Actor } from '../domain/actor.js';
import type { KeyRefusal } from '../domain/api-keys.js';
import type { Outcome } from '../errors.js';
import type { Services } from '../services.js';
import { checkApiKey, recordApiRequest, type KeyCheck } from '../../workflows/api-keys.js';
import { ProblemError, unauthorized } from './problems.js';

/**
 * Who is calling, and the one `api.request` entry of each call. Requests with a valid key are limited per key; those
 * without one per client address, before anything is written, and their refusals are audited at most once per address
 * and window, with the count of the window before.
 */

/** What the guard learnt about a request. */
export interface ApiCall {
  /** The key's actor, once the key was checked and found valid. */
  actor?: Actor;
  /** The key's row: valid, or revoked or expired (the refusal is then audited under its name). */
  key?: ApiKeyRow;
  refusal?: KeyRefusal;
  /** What the rate limit counts the request under: `key:<prefix>` or `address:<ip>`. */
  limitKey: string;
  /** False for a refusal already counted in this window's entry. */
  audit: boolean;
  /** For the entry of a refusal without a key: how many the address had in the window before. */
  refusedBefore?: number;
  /** The environment or audit resource the route acts on, for the entry. */
  resource?: { type: string; id: string };
}

const calls = new WeakMap<FastifyRequest, ApiCall>();

export function callOf(request: FastifyRequest): ApiCall | undefined {
  return calls.get(request);
}

/** The actor of a request that passed the guard (every route but the public ones). */
export function actorOf(request: FastifyRequest): Actor {
  const actor = calls.get(request)?.actor;
  if (!actor) throw unauthorized();
  return actor;
}

/** Notes the resource a route acts on, for the request's entry. */
export function noteResource(request: FastifyRequest, resource: { type: string; id: string }): void {
  const call = calls.get(request);
  if (call) call.resource = resource;
}

/** The limit's count of a request: whether it is over, when it may try again, and the headers' figures. */
export interface LimitCount {
  isExceeded: boolean;
  ttlInSeconds: number;
  max: number;
  remaining: number;
}
export type RateLimiter = (request: FastifyRequest) => Promise<LimitCount>;

export interface GuardOptions {
  s: Pick<Services, 'db' | 'clock' | 'log' | 'config'>;
  redis: Redis;
  limit: RateLimiter;
  /** Key prefix of the refusal ledger in Redis. */
  namespace: string;
  windowMs: number;
}

/** `Authorization: Bearer <token>`: the token, or undefined when the header is missing or not a bearer credential. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1] ?? (header.trim() === '' ? undefined : '');
}

/** The onRequest check of every route with a key: who calls, within which limit. Throws the refusal. */
export async function guardRequest(options: GuardOptions, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = bearerOf(request);
  const check: KeyCheck = token === '' ? { ok: false, refusal: 'malformed' } : await checkApiKey(options.s, token);
  const call: ApiCall = check.ok
    ? { actor: check.actor, key: check.row, limitKey: `key:${check.row.prefix}`, audit: true }
    : { refusal: check.refusal, ...(check.row ? { key: check.row } : {}), limitKey: `address:${request.ip}`, audit: true };
  calls.set(request, call);
  const limit = await options.limit(request);
  reply.header('RateLimit-Limit', String(limit.max));
  reply.header('RateLimit-Remaining', String(limit.remaining));
  if (!call.actor) {
    // Without a valid key: a refusal the ledger has already counted in this window is not written again.
    if (!call.key) {
      const ledger = await noteRefusal(options, request.ip);
      call.audit = ledger.first && !limit.isExceeded;
      call.refusedBefore = ledger.previous;
    } else if (limit.isExceeded) {
      call.audit = false;
    }
  }
  if (limit.isExceeded) {
    const retryAfter = String(Math.max(1, limit.ttlInSeconds));
    throw new ProblemError(429, 'rate_limited', `Too many requests: try again in ${retryAfter} s.`, undefined, { 'Retry-After': retryAfter });
  }
  if (!call.actor) throw unauthorized();
}

/**
 * Counts a refusal without a key for its address in the current fixed window; the first of a window is the one
 * written, with how many the window before held.
 */
async function noteRefusal(options: GuardOptions, address: string): Promise<{ first: boolean; previous: number }> {
  const window = Math.floor(options.s.clock.now().getTime() / options.windowMs);
  const key = (n: number) => `${options.namespace}refused:${address}:${n}`;
  const results = await options.redis.multi().incr(key(window)).pexpire(key(window), options.windowMs * 2).get(key(window - 1)).exec();
  const count = Number(results?.[0]?.[1] ?? 0);
  const previous = Number(results?.[2]?.[1] ?? 0);
  return { first: count === 1, previous };
}

const UNAUTHENTICATED: AuditActor = { type: 'api_key', id: 'unauthenticated', name: 'no valid key' };
/** Anything in a path that looks like a key, so that a key put in a URL by mistake is not written down. */
const KEY_IN_TEXT = /aitz_[0-9A-Za-z]*/g;

export function withoutKeys(text: string): string {
  return text.replace(KEY_IN_TEXT, 'aitz_[redacted]');
}

function outcomeOfStatus(status: number): Outcome {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403 || status === 429) return 'denied';
  return status >= 500 ? 'error' : 'invalid';
}

/** The `api.request` entry of a request, once its answer is known: key name and prefix, never the key. */
export function requestEntry(request: FastifyRequest, reply: FastifyReply, route: string, call: ApiCall): AuditEntryInput {
  const status = reply.statusCode;
  const facts: Record<string, unknown> = {
    method: request.method,
    route,
    path: withoutKeys(request.url.split('?')[0] ?? ''),
    status,
    latency_ms: Math.round(reply.elapsedTime * 10) / 10,
    client_address: request.ip,
  };
  if (call.refusal) facts.refusal = call.refusal;
  if (call.refusedBefore !== undefined) facts.refused_in_previous_window = call.refusedBefore;
  const key = call.key;
  const who = call.actor
    ? actedBy(call.actor, facts)
    : key
      ? { actor: { type: 'api_key' as const, id: key.prefix, name: key.name }, details: { ...facts, owner: `${key.ownerPlatform}:${key.ownerId}` } }
      : { actor: UNAUTHENTICATED, details: facts };
  return {
    eventType: 'api.request',
    ...who,
    platform: call.actor?.user.platform ?? key?.ownerPlatform ?? null,
    resource: call.resource ?? (key ? { type: 'api_key', id: key.prefix } : null),
    outcome: outcomeOfStatus(status),
    requestId: request.id,
  };
}

/** Writes a request's entry; a failure is logged loudly but cannot change the answer already decided. */
export async function auditRequest(options: GuardOptions, request: FastifyRequest, reply: FastifyReply, route: string): Promise<void> {
  const call = calls.get(request);
  if (!call?.audit) return;
  call.audit = false;
  try {
    await recordApiRequest(options.s, requestEntry(request, reply, route, call), call.actor ? call.key : undefined);
  } catch (error) {
    request.log.error({ err: error, status: reply.statusCode }, 'could not write the api.request entry');
  }
}
