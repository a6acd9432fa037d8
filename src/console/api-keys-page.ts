import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { runConsoleAction } from '../../workflows/console-actions.js';
import { createApiKey, keyOwnerOf, listApiKeys, revokeApiKey } from '../../workflows/api-keys.js';
import { KEY_SCOPES } from '../domain/actor.js';
import { API_KEY_NAME_HELP, API_KEY_PREFIX_PATTERN, parseApiKeyName, parseKeyScope } from '../domain/api-keys.js';
import { isSameUser } from '../domain/policy.js';
import { formatUtc } from '../domain/time.js';
import { AppError } from '../errors.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, messagePage, sendPage, type Viewer } from './layout.js';
import { signedInOf, type SignedIn } from './session.js';

const prefixParams = z.object({ prefix: z.string().regex(API_KEY_PREFIX_PATTERN, 'not a key prefix') });
const text = z.string().max(200).default('');
const createBody = z.object({ name: text, scope: text, expiresInDays: text, _csrf: z.string().optional() });
const keysQuery = z.object({ revoked: z.string().max(80).optional() });

/** A key as the workflows list it (the console reaches the database only through them). */
type ApiKeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

/** The lifetimes the form offers, in days; 90 is the chat command's default. */
const LIFETIME_DAYS = [7, 30, 90, 180, 365] as const;
const DEFAULT_LIFETIME_DAYS = 90;

/**
 * Settings → API keys: members list, create and revoke their own keys; admins see everyone's and revoke any by its
 * prefix. The API key workflows decide and audit. A new key is shown once, on the page that answers its creation
 * (never redirected to, never cached, never logged); lists show only its prefix.
 */
export function apiKeysRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;

  const listPage = async (reply: FastifyReply, signedIn: SignedIn, notice?: string) => {
    const { session, role, viewer } = signedIn;
    const all = role === 'admin';
    const keys = await listApiKeys(s, { actor: session.actor, all });
    const body = html`<h1>API keys</h1>
<p class="lead">Keys for the REST API. A key acts as its owner, with their role, and only reads when its scope is read. ${all ? 'As an admin you see everyone’s keys and may revoke any of them.' : 'You see your own keys.'}</p>
${notice ? html`<p class="panel notice" role="status">${notice}</p>` : ''}
${keysTable(keys, signedIn, s.clock.now())}
${createForm(viewer)}`;
    return sendPage(reply, consolePage({ title: 'API keys', current: '/settings/api-keys', viewer, body }));
  };

  app.get('/settings/api-keys', { preHandler: ctx.requireSession, schema: { querystring: keysQuery } }, async (request, reply) => {
    const { revoked } = request.query;
    return listPage(reply, signedInOf(request), revoked ? `The key ${revoked} was revoked: requests made with it are refused from now on.` : undefined);
  });

  app.post('/settings/api-keys', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { body: createBody } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const { body } = request;
    const created = await runConsoleAction(s, session.actor, { name: 'api_key_create', resource: { type: 'api_key', id: body.name.slice(0, 64) }, requestId: request.id }, () =>
      createApiKey(s, {
        actor: session.actor,
        name: parseApiKeyName(body.name),
        scope: parseKeyScope(body.scope),
        lifetimeSeconds: lifetimeOf(body.expiresInDays),
        requestId: request.id,
      }),
    );
    // The only page that ever shows the key: answered directly (no redirect, so no URL holds it) and sent no-store.
    const page = html`<section class="panel narrow notice">
<h1>Your new key ${created.row.name}</h1>
<p>Copy it now: it is shown this once and cannot be shown again. Only its prefix, ${created.row.prefix}, is kept in view.</p>
<p><label for="new-key">API key (${created.row.scope}, expires ${formatUtc(created.row.expiresAt)})</label>
<input id="new-key" class="mono" type="text" value="${created.key}" readonly autocomplete="off" spellcheck="false"></p>
<p class="muted">Send it as <span class="mono">Authorization: Bearer &lt;key&gt;</span>. Revoke it here when it is no longer needed, or at once if it leaks.</p>
<div class="actions"><a class="button" href="/settings/api-keys">Done</a></div>
</section>`;
    return sendPage(reply, consolePage({ title: 'New API key', current: '/settings/api-keys', viewer, body: page }), 201);
  });

  app.get('/settings/api-keys/:prefix/revoke', { preHandler: ctx.requireSession, schema: { params: prefixParams } }, async (request, reply) => {
    const signedIn = signedInOf(request);
    const key = await keyOf(signedIn, request.params.prefix);
    const { viewer } = signedIn;
    const whose = isSameUser(keyOwnerOf(key), signedIn.session.user) ? 'your' : `${key.ownerName}’s`;
    return sendPage(
      reply,
      messagePage({
        title: `Revoke the key ${key.name}?`,
        message: `Requests made with ${whose} key ${key.name} (${key.prefix}, ${key.scope}) are refused from the moment it is revoked. This cannot be undone.`,
        viewer,
        extra: html`<div class="actions">
<form method="post" action="/settings/api-keys/${key.prefix}/revoke"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="danger" type="submit">Revoke ${key.name}</button></form>
<a class="button" href="/settings/api-keys">Cancel</a>
</div>`,
      }),
    );
  });

  app.post('/settings/api-keys/:prefix/revoke', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: prefixParams } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { prefix } = request.params;
    const revoked = await runConsoleAction(s, session.actor, { name: 'api_key_revoke', resource: { type: 'api_key', id: prefix }, requestId: request.id }, () =>
      revokeApiKey(s, { actor: session.actor, ref: prefix, requestId: request.id }),
    );
    return reply.redirect(`/settings/api-keys?revoked=${encodeURIComponent(revoked.name)}`, 303);
  });

  /** A key the signed-in member may see: their own, or anyone's for admins; others' keys are "not found" to members. */
  async function keyOf(signedIn: SignedIn, prefix: string): Promise<ApiKeyRow> {
    const keys = await listApiKeys(s, { actor: signedIn.session.actor, all: signedIn.role === 'admin' });
    const key = keys.find((candidate) => candidate.prefix === prefix);
    if (!key) throw new AppError('not_found', `You have no API key with the prefix "${prefix}".`, { hint: 'Settings → API keys lists the keys you may revoke.' });
    return key;
  }
}

/** The form's lifetime in seconds; anything but a whole number of days is left to the workflow to refuse (0). */
function lifetimeOf(days: string): number {
  return /^\d{1,3}$/.test(days) ? Number(days) * 86_400 : 0;
}

function createForm(viewer: Viewer): SafeHtml {
  return html`<h2>Create a key</h2>
<form class="panel filters" method="post" action="/settings/api-keys" autocomplete="off">
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
<div><label for="name">Name</label><input id="name" name="name" type="text" placeholder="ci-pipeline" autocomplete="off" spellcheck="false" aria-describedby="name-help">
<p class="muted" id="name-help">${API_KEY_NAME_HELP}.</p></div>
<div><label for="scope">Scope</label><select id="scope" name="scope">${KEY_SCOPES.map((scope) => html`<option value="${scope}"${scope === 'read' ? html` selected` : ''}>${scope}</option>`)}</select></div>
<div><label for="expiresInDays">Expires in</label><select id="expiresInDays" name="expiresInDays">${LIFETIME_DAYS.map(
    (days) => html`<option value="${String(days)}"${days === DEFAULT_LIFETIME_DAYS ? html` selected` : ''}>${String(days)} days</option>`,
  )}</select></div>
<div class="actions"><button class="primary" type="submit">Create key</button></div>
</form>`;
}

function keysTable(keys: ApiKeyRow[], signedIn: SignedIn, now: Date): SafeHtml {
  if (keys.length === 0) return html`<p class="panel">No API keys yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scope</th><th scope="col">Owner</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
<tbody>${keys.map(
    (key) => html`<tr id="key-${key.prefix}">
<td><strong>${key.name}</strong></td>
<td class="mono">${key.prefix}</td>
<td><span class="badge">${key.scope}</span></td>
<td>${isSameUser(keyOwnerOf(key), signedIn.session.user) ? 'you' : key.ownerName}</td>
<td>${formatUtc(key.createdAt)}</td>
<td>${key.lastUsedAt ? formatUtc(key.lastUsedAt) : html`<span class="muted">never</span>`}</td>
<td>${formatUtc(key.expiresAt)}${key.expiresAt <= now ? html` <span class="badge">expired</span>` : ''}</td>
<td><div class="actions"><a class="button" href="/settings/api-keys/${key.prefix}/revoke">Revoke…</a></div></td>
</tr>`,
  )}</tbody>
</table></div>`;
}
