import { z } from 'zod';
import { downloadAuditExport, readAuditLogEntry, readAuditOverview } from '../../workflows/audit-log.js';
import { AUDIT_EVENTS, type AuditCategory } from '../audit/events.js';
import type { AuditEntry, AuditPage, ChainState } from '../audit/page.js';
import { formatUtc } from '../domain/time.js';
import type { HttpApp } from '../http/server.js';
import { readAuditQuery, queryString, type AuditSelection } from './audit-query.js';
import type { ConsoleContext } from './door.js';
import { html, type SafeHtml } from '../web/html.js';
import { consolePage, sendPage } from './layout.js';
import { signedInOf } from './session.js';

/** Entries per page of the table. */
export const AUDIT_PAGE_SIZE = 50;

const auditQuery = z.object({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  type: z.string().max(80).optional(),
  actor: z.string().max(80).optional(),
  resource: z.string().max(200).optional(),
  before: z.string().max(60).optional(),
});
const entryParams = z.object({ id: z.coerce.number().int().positive() });

/**
 * Settings → Audit (admins): the chain's state, filters (date range, event type, actor, resource), the entries newest
 * first a page at a time, each entry's details, and Export CSV of exactly the filtered entries.
 */
export function auditRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;

  app.get('/settings/audit', { preHandler: ctx.requireSession, schema: { querystring: auditQuery } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const selection = readAuditQuery(request.query, s.clock.now());
    const { chain, page } = await readAuditOverview(s, session.actor, selection.filters, {
      ...(selection.after ? { after: selection.after } : {}),
      size: AUDIT_PAGE_SIZE,
    });
    const body = html`<h1>Audit log</h1>
<p class="lead">Every request, decision and change, in a hash chain that shows any edit. Times are UTC.</p>
${chainPanel(chain)}
${filterForm(selection)}
${results(selection, page)}`;
    return sendPage(reply, consolePage({ title: 'Audit', current: '/settings/audit', viewer, body }));
  });

  app.get('/settings/audit/export.csv', { preHandler: ctx.requireSession, schema: { querystring: auditQuery } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { filters } = readAuditQuery(request.query, s.clock.now());
    const download = await downloadAuditExport(s, session.actor, filters, { requestId: request.id });
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${download.filename}"`)
      .header('Cache-Control', 'no-store')
      .send(download.stream);
  });

  app.get('/settings/audit/entries/:id', { preHandler: ctx.requireSession, schema: { params: entryParams } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const entry = await readAuditLogEntry(s, session.actor, request.params.id);
    const body = html`<p><a href="/settings/audit">← Audit log</a></p>
<h1>Entry ${entry.id}</h1>
<section class="panel">${entryFacts(entry)}</section>`;
    return sendPage(reply, consolePage({ title: `Audit entry ${entry.id}`, current: '/settings/audit', viewer, body }));
  });
}

function chainPanel(chain: ChainState): SafeHtml {
  const verification = chain.lastVerification;
  const details = verification?.details ?? {};
  const checked = typeof details.checked === 'number' ? details.checked.toLocaleString('en-US') : undefined;
  const state = !verification
    ? html`<span class="badge warning">not verified yet</span> <span class="muted">Run <code>/audit verify</code> in chat; it also runs daily.</span>`
    : verification.outcome === 'ok'
      ? html`<span class="badge ok">intact</span> ${checked ? `${checked} entries checked` : ''} on ${formatUtc(verification.occurredAt)}`
      : html`<span class="badge error">${verification.outcome === 'error' ? 'broken' : 'not checked'}</span> on ${formatUtc(verification.occurredAt)}: <a href="/settings/audit/entries/${verification.id}">see the check</a>`;
  return html`<section class="panel" aria-label="Chain state"><dl class="facts">
<dt>Last verification</dt><dd>${state}</dd>
<dt>Chain head</dt><dd>${chain.head ? html`entry <a href="/settings/audit/entries/${chain.head.id}">${chain.head.id}</a> · <code>${chain.head.hash}</code>` : 'the log is empty'}</dd>
</dl></section>`;
}

function typeOptions(selected: string): SafeHtml[] {
  const option = (value: string, label: string) => html`<option value="${value}" ${value === selected ? html`selected` : ''}>${label}</option>`;
  return [
    option('', 'All events'),
    ...(Object.keys(AUDIT_EVENTS) as AuditCategory[]).map(
      (category) => html`<optgroup label="${category}">${option(category, `All ${category}`)}${AUDIT_EVENTS[category].map((event) => option(event, event))}</optgroup>`,
    ),
  ];
}

function filterForm(selection: AuditSelection): SafeHtml {
  const { form } = selection;
  const partial = html`hx-target="#audit-results" hx-select="#audit-results" hx-swap="outerHTML" hx-push-url="true"`;
  return html`<form class="panel filters" method="get" action="/settings/audit" hx-get="/settings/audit" ${partial} aria-label="Filters">
<div><label for="from">From (UTC day)</label><input id="from" name="from" type="date" value="${form.from}" required></div>
<div><label for="to">To (UTC day, inclusive)</label><input id="to" name="to" type="date" value="${form.to}" required></div>
<div><label for="type">Event type</label><select id="type" name="type">${typeOptions(form.type)}</select></div>
<div><label for="actor">Actor id</label><input id="actor" name="actor" value="${form.actor}" placeholder="U0123ABCD" autocomplete="off"></div>
<div><label for="resource">Resource id</label><input id="resource" name="resource" value="${form.resource}" placeholder="env-7k2p9q" autocomplete="off"></div>
<div class="actions"><button class="primary" type="submit">Apply filters</button><a class="button" href="/settings/audit">Reset</a></div>
</form>`;
}

function results(selection: AuditSelection, page: AuditPage): SafeHtml {
  const query = queryString(selection.form);
  const partial = html`hx-target="#audit-results" hx-select="#audit-results" hx-swap="outerHTML" hx-push-url="true"`;
  const older = page.next ? html`<a href="/settings/audit?${queryString(selection.form, page.next)}" hx-get="/settings/audit?${queryString(selection.form, page.next)}" ${partial}>Older entries →</a>` : html`<span></span>`;
  const newest = selection.after ? html`<a href="/settings/audit?${query}" hx-get="/settings/audit?${query}" ${partial}>← Newest entries</a>` : html`<span></span>`;
  return html`<section id="audit-results" aria-label="Entries">
<div class="toolbar"><a class="button" id="export-csv" href="/settings/audit/export.csv?${query}" download>Export CSV</a>
<span class="muted">all entries of these filters, with the same columns as <code>/audit export</code></span></div>
<div class="table-wrap"><table>
<caption>${page.entries.length === 0 ? 'No entries match these filters.' : `Entries ${selection.after ? 'older than the previous page' : 'newest first'} (${page.entries.length} shown)`}</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Resource</th><th scope="col">Outcome</th><th scope="col">Entry</th></tr></thead>
<tbody>${page.entries.map(entryRow)}</tbody>
</table></div>
<nav class="pager" aria-label="Pages">${newest}${older}</nav>
</section>`;
}

function actorOf(entry: AuditEntry): SafeHtml {
  const door = typeof entry.details.door === 'string' ? entry.details.door : undefined;
  return html`${entry.actorName || entry.actorId} <span class="muted mono">${entry.actorName ? entry.actorId : ''}</span>${door ? html` <span class="badge">${door}</span>` : ''}`;
}

function entryRow(entry: AuditEntry): SafeHtml {
  return html`<tr data-entry-id="${entry.id}">
<td class="nowrap mono">${formatUtc(entry.occurredAt, 'yyyy-MM-dd HH:mm:ss')}</td>
<td><span class="mono">${entry.eventType}</span></td>
<td>${actorOf(entry)}</td>
<td>${entry.resourceId ? html`<span class="muted">${entry.resourceType}</span> <span class="mono">${entry.resourceId}</span>` : ''}</td>
<td><span class="badge ${entry.outcome}">${entry.outcome}</span></td>
<td><a href="/settings/audit/entries/${entry.id}">${entry.id}</a></td>
</tr>`;
}

function entryFacts(entry: AuditEntry): SafeHtml {
  const facts: [string, SafeHtml | string][] = [
    ['Time', `${entry.occurredAt.toISOString()}`],
    ['Event', `${entry.eventType} (${entry.category})`],
    ['Outcome', html`<span class="badge ${entry.outcome}">${entry.outcome}</span>`],
    ['Actor', `${entry.actorName} (${entry.actorType} ${entry.actorId})`],
    ['Platform', entry.platform ?? ''],
    ['Channel', entry.channelId ?? ''],
    ['Resource', entry.resourceId ? `${entry.resourceType ?? ''} ${entry.resourceId}` : ''],
    ['Request id', entry.requestId ?? ''],
    ['Details', html`<pre>${JSON.stringify(entry.details, null, 2)}</pre>`],
    ['Previous hash', html`<code>${entry.prevHash}</code>`],
    ['Hash', html`<code>${entry.hash}</code>`],
  ];
  return html`<dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}
