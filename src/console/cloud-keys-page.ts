import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { runConsoleAction } from '../../workflows/console-actions.js';
import { addCloudKey, deleteCloudKey, listCloudKeys, rotateCloudKey, type CloudKeySummary } from '../../workflows/cloud-keys.js';
import { CLOUD_KEY_ID_PATTERN, CLOUD_PROVIDERS, isFieldErrors } from '../domain/cloud-keys.js';
import { formatUtc } from '../domain/time.js';
import { AppError } from '../errors.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, messagePage, sendPage, type Viewer } from './layout.js';
import { signedInOf, type SignedIn } from './session.js';

const keyParams = z.object({ keyId: z.string().regex(CLOUD_KEY_ID_PATTERN, 'not a cloud key id') });
const text = z.string().max(200).default('');
const addBody = z.object({ name: text, provider: text, accessKeyId: text, secretAccessKey: text, region: text, _csrf: z.string().optional() });
const rotateBody = z.object({ accessKeyId: text, secretAccessKey: text, _csrf: z.string().optional() });
const keysQuery = z.object({ done: z.enum(['added', 'rotated', 'deleted']).optional(), key: z.string().max(60).optional() });

/** What a form shows again after a refusal: the values that are not secret, and a problem per field. */
interface FormState {
  values: Record<string, string>;
  problems: Record<string, string>;
}

const EMPTY: FormState = { values: {}, problems: {} };

/**
 * Settings → Cloud keys (admins): the keys with their masked access key id, region, account and the labs that use
 * them; add and rotate through a form whose secret field is masked and never filled back in; delete after a
 * confirmation. The cloud key workflows check, seal, store and audit; no secret is ever rendered.
 */
export function cloudKeysRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;

  const listPage = async (reply: FastifyReply, signedIn: SignedIn, form: FormState, status: number, notice?: string) => {
    const keys = await listCloudKeys(s, signedIn.session.actor);
    const body = html`<h1>Cloud keys</h1>
<p class="lead">The credentials labs deploy with. Secrets are sealed when they are saved and never shown again; only the last four characters of an access key id are.</p>
${notice ? html`<p class="panel notice" role="status">${notice}</p>` : ''}
${keysTable(keys)}
${addForm(form, signedIn.viewer)}`;
    return sendPage(reply, consolePage({ title: 'Cloud keys', current: '/settings/cloud-keys', viewer: signedIn.viewer, body }), status);
  };

  app.get('/settings/cloud-keys', { preHandler: ctx.requireSession, schema: { querystring: keysQuery } }, async (request, reply) => {
    const { done, key } = request.query;
    return listPage(reply, signedInOf(request), EMPTY, 200, done && key ? `The key ${key} was ${done}.` : undefined);
  });

  app.post('/settings/cloud-keys', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { body: addBody } }, async (request, reply) => {
    const signedIn = signedInOf(request);
    const { _csrf, secretAccessKey, accessKeyId, ...shown } = request.body;
    try {
      const added = await runConsoleAction(s, signedIn.session.actor, { name: 'cloud_key_add', resource: { type: 'cloud_key', id: shown.name }, requestId: request.id }, () =>
        addCloudKey(s, { actor: signedIn.session.actor, key: { ...shown, accessKeyId, secretAccessKey }, requestId: request.id }),
      );
      return reply.redirect(`/settings/cloud-keys?done=added&key=${encodeURIComponent(added.name)}`, 303);
    } catch (error) {
      if (!isFieldErrors(error)) throw error;
      return listPage(reply, signedIn, { values: shown, problems: error.problems }, 400);
    }
  });

  app.get('/settings/cloud-keys/:keyId/rotate', { preHandler: ctx.requireSession, schema: { params: keyParams } }, async (request, reply) => {
    const signedIn = signedInOf(request);
    return rotatePage(reply, signedIn, await keyOf(signedIn, request.params.keyId), EMPTY, 200);
  });

  app.post(
    '/settings/cloud-keys/:keyId/rotate',
    { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: keyParams, body: rotateBody } },
    async (request, reply) => {
      const signedIn = signedInOf(request);
      const { keyId } = request.params;
      try {
        const rotated = await runConsoleAction(s, signedIn.session.actor, { name: 'cloud_key_rotate', resource: { type: 'cloud_key', id: keyId }, requestId: request.id }, () =>
          rotateCloudKey(s, { actor: signedIn.session.actor, keyId, pair: { accessKeyId: request.body.accessKeyId, secretAccessKey: request.body.secretAccessKey }, requestId: request.id }),
        );
        return reply.redirect(`/settings/cloud-keys?done=rotated&key=${encodeURIComponent(rotated.name)}`, 303);
      } catch (error) {
        if (!isFieldErrors(error)) throw error;
        return rotatePage(reply, signedIn, await keyOf(signedIn, keyId), { values: {}, problems: error.problems }, 400);
      }
    },
  );

  app.get('/settings/cloud-keys/:keyId/delete', { preHandler: ctx.requireSession, schema: { params: keyParams } }, async (request, reply) => {
    const signedIn = signedInOf(request);
    const key = await keyOf(signedIn, request.params.keyId);
    const { viewer } = signedIn;
    return sendPage(
      reply,
      messagePage({
        title: `Delete the key ${key.name}?`,
        message: `Labs will no longer deploy with ${key.name} (${key.maskedAccessKeyId}). ${key.activeLabs.length > 0 ? `It is used by ${key.activeLabs.join(', ')}, so it cannot be deleted now.` : 'No lab uses it now.'}`,
        viewer,
        extra: html`<div class="actions">
${key.activeLabs.length === 0 ? html`<form method="post" action="/settings/cloud-keys/${key.id}/delete"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="danger" type="submit">Delete ${key.name}</button></form>` : ''}
<a class="button" href="/settings/cloud-keys">Cancel</a>
</div>`,
      }),
    );
  });

  app.post('/settings/cloud-keys/:keyId/delete', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: keyParams } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { keyId } = request.params;
    const deleted = await runConsoleAction(s, session.actor, { name: 'cloud_key_delete', resource: { type: 'cloud_key', id: keyId }, requestId: request.id }, () =>
      deleteCloudKey(s, { actor: session.actor, keyId, requestId: request.id }),
    );
    return reply.redirect(`/settings/cloud-keys?done=deleted&key=${encodeURIComponent(deleted.name)}`, 303);
  });

  async function keyOf(signedIn: SignedIn, keyId: string): Promise<CloudKeySummary> {
    const key = (await listCloudKeys(s, signedIn.session.actor)).find((candidate) => candidate.id === keyId);
    if (!key) throw new AppError('not_found', `There is no cloud key ${keyId}.`);
    return key;
  }

  function rotatePage(reply: FastifyReply, signedIn: SignedIn, key: CloudKeySummary, form: FormState, status: number) {
    const { viewer } = signedIn;
    const body = html`<p><a href="/settings/cloud-keys">← Cloud keys</a></p>
<h1>Rotate ${key.name}</h1>
<p class="lead">Now ${key.maskedAccessKeyId} in ${key.region}. Labs that use it deploy and destroy with the new pair from now on.</p>
<form class="panel filters" method="post" action="/settings/cloud-keys/${key.id}/rotate" autocomplete="off">
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
${refusedSummary(form, 'The key was not rotated.')}
${field('accessKeyId', 'New access key id', form, { placeholder: 'AKIA…' })}
${field('secretAccessKey', 'New secret access key', form, { secret: true })}
<div class="actions"><button class="primary" type="submit">Rotate</button><a class="button" href="/settings/cloud-keys">Cancel</a></div>
</form>`;
    return sendPage(reply, consolePage({ title: `Rotate ${key.name}`, current: '/settings/cloud-keys', viewer, body }), status);
  }
}

function field(name: string, label: string, form: FormState, options: { secret?: boolean; placeholder?: string } = {}): SafeHtml {
  const problem = form.problems[name];
  // A secret is never put back into a page, not even the one that refused it.
  const value = options.secret ? '' : (form.values[name] ?? '');
  return html`<div><label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="${options.secret ? 'password' : 'text'}" value="${value}"${options.placeholder ? html` placeholder="${options.placeholder}"` : ''} autocomplete="off" spellcheck="false"${problem ? html` aria-invalid="true" aria-describedby="${name}-problem"` : ''}>
${problem ? html`<p class="field-problem" id="${name}-problem">${problem}</p>` : ''}</div>`;
}

/** Above a refused form: that nothing was saved, and why the key pair is blank again. */
function refusedSummary(form: FormState, what: string): SafeHtml {
  if (Object.keys(form.problems).length === 0) return html``;
  return html`<p class="form-problem field-problem" role="alert">${what} Fix what is marked below. The access key id and the secret are never put back into a page: type them again.</p>`;
}

function addForm(form: FormState, viewer: Viewer): SafeHtml {
  const provider = form.values.provider || 'aws';
  return html`<h2>Add a key</h2>
<form class="panel filters" method="post" action="/settings/cloud-keys" autocomplete="off">
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
${refusedSummary(form, 'The key was not added.')}
${field('name', 'Name', form, { placeholder: 'prod-labs' })}
<div><label for="provider">Provider</label><select id="provider" name="provider">${CLOUD_PROVIDERS.map((option) => html`<option value="${option}"${option === provider ? html` selected` : ''}>${option.toUpperCase()}</option>`)}</select></div>
${field('accessKeyId', 'Access key id', { ...form, values: {} }, { placeholder: 'AKIA…' })}
${field('secretAccessKey', 'Secret access key', form, { secret: true })}
${field('region', 'Region', form, { placeholder: 'eu-west-1' })}
<div class="actions"><button class="primary" type="submit">Add key</button></div>
</form>`;
}

function keysTable(keys: CloudKeySummary[]): SafeHtml {
  if (keys.length === 0) return html`<p class="panel">No cloud keys yet: labs deploy with the provisioner's own credentials.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Access key id</th><th scope="col">Region</th><th scope="col">Account</th><th scope="col">Added</th><th scope="col">Rotated</th><th scope="col">Used by</th><th scope="col">Actions</th></tr></thead>
<tbody>${keys.map(
    (key) => html`<tr id="key-${key.id}">
<td><strong>${key.name}</strong>${key.isDefault ? html` <span class="badge good">default</span>` : ''}<br><span class="muted">${key.provider.toUpperCase()}</span></td>
<td class="mono">${key.maskedAccessKeyId}</td>
<td>${key.region}</td>
<td>${key.accountId ?? html`<span class="muted">not verified</span>`}</td>
<td>${formatUtc(key.addedAt)} <span class="muted">by ${key.addedByName}</span></td>
<td>${key.rotatedAt ? html`${formatUtc(key.rotatedAt)} <span class="muted">by ${key.rotatedByName ?? ''}</span>` : ''}</td>
<td>${key.activeLabs.length === 0 ? html`<span class="muted">no lab</span>` : key.activeLabs.join(', ')}</td>
<td><div class="actions"><a class="button" href="/settings/cloud-keys/${key.id}/rotate">Rotate…</a><a class="button" href="/settings/cloud-keys/${key.id}/delete">Delete…</a></div></td>
</tr>`,
  )}</tbody>
</table></div>`;
}
