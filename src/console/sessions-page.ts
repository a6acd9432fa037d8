import { z } from 'zod';
import { listSessions, signOut, type SessionSummary, type SignInMethod } from '../../workflows/console-sessions.js';
import { formatUtc } from '../domain/time.js';
import { PLATFORM_NAMES } from '../domain/users.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, sendPage, type Viewer } from './layout.js';
import { signedInOf } from './session.js';

const SESSIONS_PATH = '/settings/sessions';
const refParams = z.object({ ref: z.string().regex(/^[0-9a-f]{12}$/, 'not a session reference') });
const sessionsQuery = z.object({ ended: z.string().max(20).optional() });

/** How each sign-in method reads on the page. */
const METHOD_LABELS: Readonly<Record<SignInMethod, string>> = { chat_link: 'Link from chat', passkey: 'Passkey', oidc: 'OpenID Connect' };

/**
 * Settings → Sessions: the member's open console sessions (how each was started, when, when last used and from
 * which address) and ending any of them; ending this one signs out, and "sign out everywhere" ends them all.
 */
export function sessionsRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s, cookie } = ctx;

  // The page's first address, kept for links from before it was a settings page.
  app.get('/account', async (_request, reply) => reply.redirect(SESSIONS_PATH, 303));

  app.get(SESSIONS_PATH, { preHandler: ctx.requireSession, schema: { querystring: sessionsQuery } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const sessions = await listSessions(s, session.user);
    const body = html`<h1>Sessions</h1>
<p class="lead">Where you are signed in to the console as <strong>${viewer.name}</strong> (${PLATFORM_NAMES[session.user.platform]}). Sessions end after 12 hours without use, and 7 days after sign-in.</p>
${request.query.ended ? html`<p class="panel notice" role="status">The session ${request.query.ended} was ended: it is signed out.</p>` : ''}
${sessionsTable(sessions, session.ref, viewer)}
<div class="actions">
<form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button type="submit">Sign out</button></form>
<form method="post" action="/sign-out/everywhere"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="danger" type="submit">Sign out everywhere</button></form>
</div>`;
    return sendPage(reply, consolePage({ title: 'Sessions', current: SESSIONS_PATH, viewer, body }));
  });

  app.post(`${SESSIONS_PATH}/:ref/end`, { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: refParams } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { ref } = request.params;
    await signOut(s, session, { ref, requestId: request.id });
    if (ref !== session.ref) return reply.redirect(`${SESSIONS_PATH}?ended=${ref}`, 303);
    cookie.clear(reply);
    return reply.redirect('/sign-in?signed-out', 303);
  });
}

/** This session on top, the others most recently used first (as listed). */
function thisOneFirst(sessions: SessionSummary[], current: string): SessionSummary[] {
  return [...sessions].sort((a, b) => Number(b.ref === current) - Number(a.ref === current));
}

function sessionsTable(sessions: SessionSummary[], current: string, viewer: Viewer): SafeHtml {
  return html`<div class="table-wrap"><table>
<caption>${sessions.length === 1 ? 'One open session' : `${sessions.length} open sessions`}</caption>
<thead><tr><th scope="col">Session</th><th scope="col">Signed in with</th><th scope="col">Started</th><th scope="col">Last seen</th><th scope="col">Address</th><th scope="col">Actions</th></tr></thead>
<tbody>${thisOneFirst(sessions, current).map(
    (row) => html`<tr id="session-${row.ref}">
<td><span class="mono">${row.ref}</span>${row.ref === current ? html` <span class="badge good">this session</span>` : ''}</td>
<td>${METHOD_LABELS[row.method]}</td>
<td>${formatUtc(row.createdAt)}</td>
<td>${formatUtc(row.lastSeenAt)}</td>
<td class="mono">${row.clientAddress || html`<span class="muted">unknown</span>`}</td>
<td><form class="inline" method="post" action="${SESSIONS_PATH}/${row.ref}/end"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button type="submit"${row.ref === current ? '' : html` class="danger"`} aria-label="${row.ref === current ? 'Sign out of this session' : `End session ${row.ref}`}">${row.ref === current ? 'Sign out' : 'End'}</button></form></td>
</tr>`,
  )}</tbody>
</table></div>`;
}
