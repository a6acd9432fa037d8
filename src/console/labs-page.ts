import { z } from 'zod';
import { lifeSummary } from '../../blocks/views/env-summary.js';
import { stateTone } from '../../blocks/views/format.js';
import { runConsoleAction } from '../../workflows/console-actions.js';
import { checkMayDestroy, requestDestroy } from '../../workflows/destroy.js';
import { listEnvironments } from '../../workflows/environment-queries.js';
import { extendEnvironment } from '../../workflows/extend.js';
import type { EnvironmentModel } from '../../blocks/models.js';
import { formatDuration, parseDuration } from '../domain/durations.js';
import { ENV_ID_PATTERN } from '../domain/ids.js';
import { canTransition, describeState } from '../domain/lifecycle.js';
import type { Preset } from '../domain/presets.js';
import type { HttpApp } from '../http/server.js';
import type { ConsoleContext } from './door.js';
import { html, type SafeHtml } from '../web/html.js';
import { consolePage, messagePage, sendPage } from './layout.js';
import { signedInOf } from './session.js';

/** How much the Extend button adds; the workflow still refuses what would pass the lab's maximum lifetime. */
export const EXTEND_CHOICES = ['1h', '2h', '4h', '8h'] as const;

const envParams = z.object({ envId: z.string().regex(ENV_ID_PATTERN, 'not an environment id') });
const extendBody = z.object({ by: z.enum(EXTEND_CHOICES), _csrf: z.string().optional() });
const labsQuery = z.object({ done: z.enum(['extended', 'destroying']).optional(), env: z.string().regex(ENV_ID_PATTERN).optional() });

/**
 * `/labs`: the member's labs (everyone's for admins) with state and time left, Extend, and Destroy behind a
 * confirmation page, through the workflows chat uses.
 */
export function labsRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;

  app.get('/labs', { preHandler: ctx.requireSession, schema: { querystring: labsQuery } }, async (request, reply) => {
    const { session, role, viewer } = signedInOf(request);
    const all = role === 'admin';
    const rows = await listEnvironments(s, { actor: session.actor, all });
    const now = s.clock.now();
    const { done, env } = request.query;
    const notice = done && env ? (done === 'extended' ? `${env} was extended.` : `${env} is being destroyed.`) : undefined;
    const body = html`<h1>${all ? 'All labs' : 'Your labs'}</h1>
<p class="lead">Ask for a new lab in chat with <code>/env request</code>; extend or destroy one here.</p>
${notice ? html`<p class="panel notice" role="status">${notice}</p>` : ''}
${rows.length === 0
  ? html`<p class="panel">${all ? 'There are no labs.' : 'You have no labs.'}</p>`
  : html`<div class="table-wrap"><table>
<caption>${rows.length === 1 ? '1 lab' : `${rows.length} labs`}, newest first</caption>
<thead><tr><th scope="col">Lab</th><th scope="col">Preset</th>${all ? html`<th scope="col">Owner</th>` : ''}<th scope="col">State</th><th scope="col">Time left</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows.map((row) => labRow(row, s.catalog.find(row.presetId), { all, now, csrf: viewer.csrfToken }))}</tbody>
</table></div>`}`;
    return sendPage(reply, consolePage({ title: 'Labs', current: '/labs', viewer, body }));
  });

  app.post(
    '/labs/:envId/extend',
    { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: envParams, body: extendBody } },
    async (request, reply) => {
      const { session } = signedInOf(request);
      const { envId } = request.params;
      const bySeconds = parseDuration(request.body.by);
      await runConsoleAction(s, session.actor, { name: 'extend', resource: { type: 'environment', id: envId }, details: { by_seconds: bySeconds }, requestId: request.id }, () =>
        extendEnvironment(s, { envId, actor: session.actor, bySeconds, requestId: request.id }),
      );
      return reply.redirect(`/labs?done=extended&env=${envId}`, 303);
    },
  );

  app.get('/labs/:envId/destroy', { preHandler: ctx.requireSession, schema: { params: envParams } }, async (request, reply) => {
    const { session, viewer } = signedInOf(request);
    const env = await checkMayDestroy(s, session.actor, request.params.envId);
    const preset = s.catalog.find(env.presetId);
    return sendPage(
      reply,
      messagePage({
        title: `Destroy ${env.id}?`,
        message: `${labName(env, preset)} and everything in it will be deleted. This cannot be undone.`,
        viewer,
        extra: html`<div class="actions">
<form method="post" action="/labs/${env.id}/destroy"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="danger" type="submit">Destroy now</button></form>
<a class="button" href="/labs">Cancel</a>
</div>`,
      }),
    );
  });

  app.post(
    '/labs/:envId/destroy',
    { preHandler: [app.csrfProtection, ctx.requireSession], schema: { params: envParams } },
    async (request, reply) => {
      const { session } = signedInOf(request);
      const { envId } = request.params;
      await runConsoleAction(s, session.actor, { name: 'destroy', resource: { type: 'environment', id: envId }, requestId: request.id }, () =>
        requestDestroy(s, { envId, actor: session.actor, requestId: request.id }),
      );
      return reply.redirect(`/labs?done=destroying&env=${envId}`, 303);
    },
  );
}

function labName(env: EnvironmentModel, preset: Preset | undefined): string {
  return `${env.name ? `“${env.name}” ` : ''}(${preset?.name ?? env.presetId})`;
}


function labRow(env: EnvironmentModel, preset: Preset | undefined, options: { all: boolean; now: Date; csrf: string }): SafeHtml {
  const destroyable = env.state === 'destroy_failed' || canTransition(env.state, 'destroying');
  const tone = stateTone(env.state);
  return html`<tr id="lab-${env.id}">
<td><code>${env.id}</code>${env.name ? html`<br>${env.name}` : ''}</td>
<td>${preset?.name ?? env.presetId}</td>
${options.all ? html`<td>${env.ownerName || env.ownerId}</td>` : ''}
<td><span class="badge ${tone}">${describeState(env.state)}</span></td>
<td>${lifeSummary(env, options.now)}</td>
<td><div class="actions">
${env.state === 'running'
  ? html`<form class="inline" method="post" action="/labs/${env.id}/extend">
<input type="hidden" name="_csrf" value="${options.csrf}">
<label class="visually-hidden" for="by-${env.id}">Extend ${env.id} by</label>
<select id="by-${env.id}" name="by">${EXTEND_CHOICES.map((choice) => html`<option value="${choice}">+${formatDuration(parseDuration(choice))}</option>`)}</select>
<button class="primary" type="submit">Extend</button>
</form>`
  : ''}
${destroyable ? html`<a class="button" href="/labs/${env.id}/destroy">Destroy…</a>` : ''}
</div></td>
</tr>`;
}
