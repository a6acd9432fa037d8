import { z } from 'zod';
import { allEventTypes, type AuditFilters } from '../../audit/filters.js';
import { AppError, isAppError } from '../../errors.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { DEFAULT_SPAN_DAYS, parseFilterTime, parseTypes } from '../../../commands/audit-export-args.js';
import { downloadAuditExport, readAuditFeedPage, readChainState } from '../../../workflows/audit-log.js';
import { requestAuditVerify } from '../../../workflows/audit-verify.js';
import { actorOf, noteResource } from '../guard.js';
import { problemOfAppError } from '../problems.js';
import {
  auditCsvQuery,
  auditEntryBody,
  auditEventsQuery,
  auditPageSchema,
  emptyBody,
  problems,
  verificationSchema,
  verifyStartedSchema,
} from '../schemas.js';
import { SECURITY } from './security.js';

const tags = ['audit'];
/** A stream of CSV text: the OpenAPI document describes it as `text/csv`. */
const csvSchema = z.unknown().describe('CSV, UTF-8, CRLF line ends, with the header of `/audit export`');
const DAY_MS = 86_400_000;
const RESOURCE = /^(?:([a-z_]{1,40}):)?([A-Za-z0-9._:@-]{1,160})$/;
const ACTOR = /^[A-Za-z0-9._:-]{1,128}$/;

/** A filter's query field, refused as that field. */
function field<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw isAppError(error) ? problemOfAppError(error, `querystring/${name}`) : error;
  }
}

/** The query's filters, with the defaults of `/audit export`: the 7 days up to `to`, which defaults to now. */
function filtersOf(query: z.infer<typeof auditCsvQuery>, now: Date): AuditFilters {
  const to = query.to === undefined ? now : field('to', () => parseFilterTime(query.to!, 'end', 'to'));
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS) : field('from', () => parseFilterTime(query.from!, 'start', 'from'));
  if (from.getTime() > to.getTime()) {
    throw problemOfAppError(new AppError('invalid_filter', `from (${from.toISOString()}) is after to (${to.toISOString()}).`), 'querystring/from');
  }
  const types = query.type === undefined ? [] : field('type', () => parseTypes(query.type!));
  const filters: AuditFilters = { from, to, types: types.length === allEventTypes().length ? [] : types };
  if (query.actor !== undefined) {
    if (!ACTOR.test(query.actor)) throw problemOfAppError(new AppError('invalid_filter', 'actor is not an actor id.'), 'querystring/actor');
    filters.actorId = query.actor;
  }
  if (query.resource !== undefined) {
    const match = RESOURCE.exec(query.resource);
    if (!match) throw problemOfAppError(new AppError('invalid_filter', 'resource is not a resource id, or type:id.'), 'querystring/resource');
    filters.resourceId = match[2]!;
    if (match[1] !== undefined) filters.resourceType = match[1];
  }
  return filters;
}

export function auditRoutes(api: HttpApp, s: Services): void {
  api.get(
    '/audit/events',
    {
      schema: {
        tags,
        summary: 'Audit entries (admins), oldest first, a page at a time: pass `next` as `cursor` for the next page',
        security: SECURITY,
        querystring: auditEventsQuery,
        response: { 200: auditPageSchema, ...problems.common },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const filters = filtersOf(request.query, s.clock.now());
      const page = await readAuditFeedPage(s, actor, filters, { after: Number(request.query.cursor ?? 0), size: request.query.limit });
      return { entries: page.entries.map(auditEntryBody), next: page.next === undefined ? null : String(page.next) };
    },
  );

  api.get(
    '/audit/events.csv',
    {
      schema: {
        tags,
        summary: 'The filtered export of `/audit export` as CSV (admins), streamed: the same header and formula neutralising',
        security: SECURITY,
        querystring: auditCsvQuery,
        produces: ['text/csv'],
        response: { 200: csvSchema, ...problems.common },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const filters = filtersOf(request.query, s.clock.now());
      const csv = await downloadAuditExport(s, actor, filters, { requestId: request.id });
      noteResource(request, { type: 'audit_log', id: csv.filename });
      csv.done.catch((error: unknown) => request.log.error({ err: error }, 'the audit CSV export failed'));
      return reply
        .code(200)
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${csv.filename}"`)
        .send(csv.stream);
    },
  );

  api.get(
    '/audit/verify',
    {
      schema: {
        tags,
        summary: "The last check of the audit chain and the chain's head now (admins)",
        security: SECURITY,
        response: { 200: verificationSchema, ...problems.common },
      },
    },
    async (request) => {
      const state = await readChainState(s, actorOf(request));
      const last = state.lastVerification;
      const details = last?.details ?? {};
      return {
        last: last
          ? {
              at: last.occurredAt.toISOString(),
              outcome: last.outcome,
              intact: typeof details.intact === 'boolean' ? details.intact : null,
              checked: typeof details.checked === 'number' ? details.checked : null,
              trigger: typeof details.trigger === 'string' ? details.trigger : null,
              details,
            }
          : null,
        head: state.head,
      };
    },
  );

  api.post(
    '/audit/verify',
    {
      schema: {
        tags,
        summary: "Start a check of the whole chain (admins): the result goes to the key owner's DM and to GET /audit/verify",
        security: SECURITY,
        body: emptyBody,
        response: { 202: verifyStartedSchema, ...problems.common },
      },
    },
    async (request, reply) => {
      await requestAuditVerify(s, actorOf(request), { requestId: request.id }, undefined);
      noteResource(request, { type: 'audit_log', id: 'chain' });
      return reply.code(202).send({ status: 'started' as const, requestId: request.id });
    },
  );
}
