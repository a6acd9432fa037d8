import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { addPasskey, findPasskey, listPasskeys, passkeyRegistrationOptions, removePasskey, type PasskeySummary } from '../../workflows/passkeys.js';
import { relyingPartyOf } from '../domain/relying-party.js';
import { PASSKEY_NAME_HELP } from '../domain/passkeys.js';
import { formatUtc } from '../domain/time.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, messagePage, sendPage, type Viewer } from './layout.js';
import { PASSKEY_SCRIPTS, responseForm, sendOptions } from './passkey-sign-in.js';
import { signedInOf, type SignedIn } from './session.js';

const SECURITY_PATH = '/settings/security';
const refParams = z.object({ ref: z.string().regex(/^[0-9a-f]{12}$/, 'not a passkey reference') });
const nameField = z.string().max(200).default('');
const addForm = responseForm.extend({ name: nameField });
const optionsForm = z.object({ name: nameField, _csrf: z.string().optional() });
const securityQuery = z.object({ added: z.string().max(80).optional(), removed: z.string().max(80).optional() });

/**
 * Settings → Security: a member's passkeys (name, created, last used), adding one (named, made by the browser's
 * passkey prompt) and removing one. The passkey workflows decide and audit. An admin whose second factor is due and
 * who has no passkey yet is sent here to add one; until then, this page and adding are all the console opens to them.
 */
export function securityRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;
  const beforeFirstPasskey = ctx.requireSessionBefore('add_passkey');

  const page = async (reply: FastifyReply, signedIn: SignedIn, notice?: string) => {
    const { session, viewer } = signedIn;
    const passkeys = await listPasskeys(s, session.user);
    const rp = relyingPartyOf(s.config.PUBLIC_URL);
    const body = html`<h1>Security</h1>
<p class="lead">The console has no passwords. You sign in with a link from chat (<code>/env console</code>) or with a passkey: a key your device keeps and unlocks with your fingerprint, face or PIN.</p>
${signedIn.secondFactor === 'add_passkey' ? html`<p class="panel problem" role="alert">Admins confirm each sign-in with a passkey here. Add one to continue: you will be asked to use it right after.</p>` : ''}
${notice ? html`<p class="panel notice" role="status">${notice}</p>` : ''}
<h2>Your passkeys</h2>
${passkeyTable(passkeys)}
${rp
  ? addPasskeyForm(viewer)
  : html`<p class="panel problem">Passkeys are off: they belong to a domain name, and this console’s address (PUBLIC_URL) is not one.</p>`}`;
    return sendPage(reply, consolePage({ title: 'Security', current: SECURITY_PATH, viewer, body, scripts: PASSKEY_SCRIPTS }));
  };

  app.get(SECURITY_PATH, { preHandler: beforeFirstPasskey, schema: { querystring: securityQuery } }, async (request, reply) => {
    const { added, removed } = request.query;
    const notice = added
      ? `The passkey “${added}” was added: use it to sign in from the sign-in page.`
      : removed
        ? `The passkey “${removed}” was removed: it cannot sign in any more.`
        : undefined;
    return page(reply, signedInOf(request), notice);
  });

  app.post(`${SECURITY_PATH}/passkeys/options`, { preHandler: [app.csrfProtection, beforeFirstPasskey], schema: { body: optionsForm } }, async (request, reply) =>
    sendOptions(reply, () => passkeyRegistrationOptions(s, signedInOf(request).session, { name: request.body.name })),
  );

  app.post(`${SECURITY_PATH}/passkeys`, { preHandler: [app.csrfProtection, beforeFirstPasskey], schema: { body: addForm } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const added = await addPasskey(s, session, { name: request.body.name, response: request.body.response, clientAddress: request.ip, requestId: request.id }).catch(
      (error: unknown) => ctx.refusals.countIfRefused(request, error),
    );
    return reply.redirect(`${SECURITY_PATH}?added=${encodeURIComponent(added.name)}`, 303);
  });

  app.get(`${SECURITY_PATH}/passkeys/:ref/remove`, { preHandler: ctx.requireSession, schema: { params: refParams } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const passkey = await findPasskey(s, session.user, request.params.ref);
    return sendPage(
      reply,
      messagePage({
        title: `Remove the passkey ${passkey.name}?`,
        message: `The passkey “${passkey.name}” will no longer sign you in to the console. Your device may keep it until you delete it there too.`,
        viewer,
        extra: html`<div class="actions">
<form method="post" action="${SECURITY_PATH}/passkeys/${passkey.ref}/remove"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="danger" type="submit">Remove ${passkey.name}</button></form>
<a class="button" href="${SECURITY_PATH}">Cancel</a>
</div>`,
      }),
    );
  });

  app.post(`${SECURITY_PATH}/passkeys/:ref/remove`, { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: refParams } }, async (request, reply) => {
    const removed = await removePasskey(s, signedInOf(request).session, { ref: request.params.ref, requestId: request.id });
    return reply.redirect(`${SECURITY_PATH}?removed=${encodeURIComponent(removed.name)}`, 303);
  });
}

function passkeyTable(passkeys: PasskeySummary[]): SafeHtml {
  if (passkeys.length === 0) return html`<p class="panel">No passkeys yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${passkeys.map(
    (passkey) => html`<tr id="passkey-${passkey.ref}">
<td><strong>${passkey.name}</strong></td>
<td>${formatUtc(passkey.createdAt)}</td>
<td>${passkey.lastUsedAt ? formatUtc(passkey.lastUsedAt) : html`<span class="muted">never</span>`}</td>
<td><div class="actions"><a class="button" href="${SECURITY_PATH}/passkeys/${passkey.ref}/remove">Remove…</a></div></td>
</tr>`,
  )}</tbody>
</table></div>`;
}

function addPasskeyForm(viewer: Viewer): SafeHtml {
  return html`<h2>Add a passkey</h2>
<form class="panel filters" method="post" action="${SECURITY_PATH}/passkeys" data-passkey="register" data-options="${SECURITY_PATH}/passkeys/options" autocomplete="off" hidden>
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
<input type="hidden" name="response" value="">
<div><label for="passkey-name">Name</label><input id="passkey-name" name="name" type="text" required maxlength="40" placeholder="Work laptop" spellcheck="false" aria-describedby="passkey-name-help"></div>
<div class="actions"><button class="primary" type="submit">Add passkey</button></div>
<p class="muted wide" role="status" aria-live="polite" data-passkey-status></p>
</form>
<p class="muted" id="passkey-name-help">Name it after the device or key that holds it, so you know which one to remove later (${PASSKEY_NAME_HELP}, starting with a letter or digit).</p>
<p class="panel problem" data-passkey-unsupported>Adding a passkey needs a browser with JavaScript and passkey support.</p>`;
}
