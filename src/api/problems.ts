import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError, type AppError } from '../errors.js';

/**
 * The API's errors as `application/problem+json` (RFC 9457): a stable `type` per kind of refusal, the HTTP status, a
 * title, a detail safe to show, the request id, and for a refused field its name.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable problem types: `urn:aithroyz:problem:<kind>`; clients key on them, never on the text. */
export function problemType(kind: string): string {
  return `urn:aithroyz:problem:${kind}`;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request, as `urn:aithroyz:request:<id>`. */
  instance: string;
  /** The refusal's code, as the chat doors name it (`forbidden`, `quota_exceeded`). */
  code: string;
  requestId: string;
  /** The field at fault (422): `ttl`, `body/preset`, `query/from`. */
  field?: string;
}

/** A refusal the API raises itself, answered as it is. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ProblemError';
  }
}

/** One answer for every credential that opens nothing: missing, malformed, unknown, revoked or expired. */
export function unauthorized(): ProblemError {
  return new ProblemError(401, 'unauthorized', 'A valid API key is required: send it as `Authorization: Bearer aitz_…`.', undefined, {
    'WWW-Authenticate': 'Bearer realm="aithroyz"',
  });
}

/** How each refusal of the core maps to a status; codes not listed are a 422 (the request cannot be carried out as asked). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  forbidden: 403,
  not_owner: 403,
  self_approval: 403,
  read_only_key: 403,
  not_in_team: 403,
  not_found: 404,
  invalid_env_id: 404,
  already_decided: 409,
  not_running: 409,
  not_destroyable: 409,
  quota_exceeded: 409,
  invalid_transition: 409,
  unavailable: 503,
};

/** The request field each input refusal of the core is about. */
const FIELD_BY_CODE: Readonly<Record<string, string>> = {
  unknown_preset: 'body/preset',
  ttl_too_short: 'body/ttl',
  ttl_too_long: 'body/ttl',
  invalid_name: 'body/name',
  reason_required: 'body/reason',
  reason_too_long: 'body/reason',
  ttl_over_max: 'body/by',
};

export function problemOfAppError(error: AppError, field?: string): ProblemError {
  const status = STATUS_BY_CODE[error.code] ?? (error.retry ? 503 : 422);
  const detail = error.hint ? `${error.message} ${error.hint}` : error.message;
  return new ProblemError(status, error.code, detail, status === 422 ? (field ?? FIELD_BY_CODE[error.code]) : undefined);
}

/** What the error handler answers: the problem of a refusal, or a 500 whose detail names only the request id. */
export function problemOf(error: FastifyError | Error, request: FastifyRequest): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (isAppError(error)) return problemOfAppError(error);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const issue = fastifyError.validation[0];
    const where = fastifyError.validationContext ?? 'body';
    const path = issue?.instancePath?.replace(/^\//, '') ?? '';
    const field = [where, path].filter((part) => part !== '').join('/');
    return new ProblemError(422, 'invalid_field', `${field}: ${issue?.message ?? 'is not valid'}.`, field);
  }
  const status = fastifyError.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (status === 413) return new ProblemError(413, 'payload_too_large', `The request body is larger than ${request.routeOptions.bodyLimit ?? 0} bytes.`);
  if (status === 415) return new ProblemError(415, 'unsupported_media_type', 'Send the request body as application/json.');
  if (status === 429) return new ProblemError(429, 'rate_limited', 'Too many requests: wait for the time Retry-After gives.');
  // Fastify's own refusals (unreadable JSON, an empty JSON body) say what is wrong with the request.
  const own = fastifyError.code?.startsWith('FST_') === true;
  return new ProblemError(status, 'bad_request', own ? fastifyError.message : (STATUS_CODES[status] ?? 'Bad request'));
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemError): FastifyReply {
  const body: Problem = {
    type: problemType(problem.kind),
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    instance: `urn:aithroyz:request:${request.id}`,
    code: problem.kind,
    requestId: request.id,
    ...(problem.field !== undefined ? { field: problem.field } : {}),
  };
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(Buffer.from(JSON.stringify(body)));
}

export function internalProblem(request: FastifyRequest): ProblemError {
  return new ProblemError(500, 'internal', `Something went wrong (request id ${request.id}).`);
}

export type { AppError };
