import { z } from 'zod';
import { parseDuration } from '../../domain/durations.js';
import { ENV_ID_PATTERN } from '../../domain/ids.js';
import { AppError, isAppError } from '../../errors.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { decidePlan } from '../../../workflows/decide.js';
import { requestDestroy } from '../../../workflows/destroy.js';
import { listVisibleEnvironments } from '../../../workflows/environment-queries.js';
import { extendEnvironment } from '../../../workflows/extend.js';
import { requestEnvironment } from '../../../workflows/request.js';
import { environmentStatus } from '../../../workflows/status.js';
import { actorOf, noteResource } from '../guard.js';
import { problemOfAppError } from '../problems.js';
import {
  emptyBody,
  envParams,
  environmentBody,
  environmentSchema,
  extendBody,
  listQuery,
  problems,
  rejectBody,
  requestBody,
} from '../schemas.js';
import { SECURITY } from './security.js';

const tags = ['environments'];

/** An id that names no environment is answered like one that names none we have. */
function envIdOf(request: Parameters<typeof noteResource>[0], id: string): string {
  const envId = id.trim().toLowerCase();
  if (!ENV_ID_PATTERN.test(envId)) throw new AppError('not_found', 'There is no such environment: ids look like env-7k2p9q.');
  noteResource(request, { type: 'environment', id: envId });
  return envId;
}

/** A duration field of the body, refused as that field. */
function durationOf(text: string, field: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw isAppError(error) ? problemOfAppError(error, field) : error;
  }
}

export function environmentRoutes(api: HttpApp, s: Services): void {
  api.get(
    '/environments',
    {
      schema: {
        tags,
        summary: "Your environments, or everyone's for admins (newest first, at most 100)",
        security: SECURITY,
        querystring: listQuery,
        response: { 200: z.object({ environments: z.array(environmentSchema) }), ...problems.common },
      },
    },
    async (request) => {
      const rows = await listVisibleEnvironments(s, {
        actor: actorOf(request),
        mineOnly: request.query.mine === 'true',
        ...(request.query.status ? { state: request.query.status } : {}),
      });
      return { environments: rows.map(environmentBody) };
    },
  );

  api.post(
    '/environments',
    {
      schema: {
        tags,
        summary: 'Request a lab: the same policy, quota and approval as `/env request` (the approval card is posted in chat)',
        security: SECURITY,
        body: requestBody,
        response: { 201: environmentSchema, ...problems.onChange },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const env = await requestEnvironment(s, {
        actor: actorOf(request),
        channelId: '',
        presetId: body.preset,
        ...(body.ttl !== undefined ? { ttlSeconds: durationOf(body.ttl, 'body/ttl') } : {}),
        ...(body.name !== undefined ? { name: body.name } : {}),
        requestId: request.id,
      });
      noteResource(request, { type: 'environment', id: env.id });
      reply.header('Location', `/api/v1/environments/${env.id}`);
      return reply.code(201).send(environmentBody(env));
    },
  );

  api.get(
    '/environments/:id',
    {
      schema: {
        tags,
        summary: 'One environment (its owner, approvers and admins)',
        security: SECURITY,
        params: envParams,
        response: { 200: environmentSchema, ...problems.onEnvironment },
      },
    },
    async (request) => {
      const status = await environmentStatus(s, actorOf(request), envIdOf(request, request.params.id));
      return environmentBody(status.env);
    },
  );

  api.post(
    '/environments/:id/extend',
    {
      schema: {
        tags,
        summary: 'Extend a running environment (its owner or an admin), never past its maximum lifetime',
        security: SECURITY,
        params: envParams,
        body: extendBody,
        response: { 200: environmentSchema, ...problems.onChange },
      },
    },
    async (request) => {
      const envId = envIdOf(request, request.params.id);
      const env = await extendEnvironment(s, { envId, actor: actorOf(request), bySeconds: durationOf(request.body.by, 'body/by'), requestId: request.id });
      return environmentBody(env);
    },
  );

  api.post(
    '/environments/:id/destroy',
    {
      schema: {
        tags,
        summary: 'Destroy an environment (its owner or an admin); the destroy runs in the background',
        security: SECURITY,
        params: envParams,
        body: emptyBody,
        response: { 202: environmentSchema, ...problems.onChange },
      },
    },
    async (request, reply) => {
      const envId = envIdOf(request, request.params.id);
      const env = await requestDestroy(s, { envId, actor: actorOf(request), requestId: request.id });
      return reply.code(202).send(environmentBody(env));
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    api.post(
      `/environments/:id/${decision}`,
      {
        schema: {
          tags,
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a pending plan (approvers and admins; never their own)`,
          security: SECURITY,
          params: envParams,
          body: decision === 'approve' ? emptyBody : rejectBody,
          response: { 200: environmentSchema, ...problems.onChange },
        },
      },
      async (request) => {
        const envId = envIdOf(request, request.params.id);
        const reason = decision === 'reject' ? (request.body as z.infer<typeof rejectBody>).reason : undefined;
        const env = await decidePlan(s, { envId, actor: actorOf(request), decision, ...(reason !== undefined ? { reason } : {}), requestId: request.id });
        return environmentBody(env);
      },
    );
  }
}
