import { z } from 'zod';
import type { TeamMemberModel, TeamModel } from '../../blocks/models.js';
import { runConsoleAction } from '../../workflows/console-actions.js';
import { searchPeople } from '../../workflows/directory.js';
import { invite } from '../../workflows/invitations.js';
import { listTeam, removeMember, setRole } from '../../workflows/team.js';
import type { DirectoryUser } from '../chat/types.js';
import { formatUtc } from '../domain/time.js';
import { PLATFORM_NAMES, ROLES, userKey, type Role } from '../domain/users.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, messagePage, sendPage } from './layout.js';
import type { SignedIn } from './session.js';
import { signedInOf } from './session.js';

const USER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const person = z.object({ id: z.string().regex(USER_ID, 'not a user id'), name: z.string().trim().min(1).max(80), _csrf: z.string().optional() });
const withRole = person.extend({ role: z.enum(ROLES) });
const teamQuery = z.object({ q: z.string().max(80).optional(), done: z.enum(['invited', 'role', 'removed']).optional(), who: z.string().max(80).optional() });

const DONE: Record<NonNullable<z.infer<typeof teamQuery>['done']>, (who: string) => string> = {
  invited: (who) => `${who} was invited: they answer in a direct message from the bot.`,
  role: (who) => `${who}'s role was changed.`,
  removed: (who) => `${who} was removed from the team.`,
};

/**
 * Settings → Team: the team of the member's platform (everyone may look), and for admins inviting someone picked from
 * the platform's user search, changing roles and removing people, through the `/team` workflows.
 */
export function teamRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s } = ctx;

  app.get('/settings/team', { preHandler: ctx.requireSession, schema: { querystring: teamQuery } }, async (request, reply) => {
    const signedIn = signedInOf(request);
    const team = await listTeam(s, signedIn.session.actor);
    const { q, done, who } = request.query;
    const search = q !== undefined && q.trim() !== '' && signedIn.role === 'admin' ? await searchPeople(s, signedIn.session.actor, q) : undefined;
    const notice = done && who ? DONE[done](who) : undefined;
    const body = html`<h1>Team</h1>
<p class="lead">${team.access === 'open' ? 'Everyone in the chat may use the bot as a member; roles and removals are kept here.' : 'Only people who accepted an invitation (and ADMINS / APPROVERS) may use the bot.'}</p>
${notice ? html`<p class="panel notice" role="status">${notice}</p>` : ''}
${signedIn.role === 'admin' ? invitePanel(q ?? '', search, signedIn) : ''}
${membersTable(team.members, signedIn)}
${invitationsTable(team)}
${team.removed.length > 0 ? removedTable(team.removed) : ''}`;
    return sendPage(reply, consolePage({ title: 'Team', current: '/settings/team', viewer: signedIn.viewer, body }));
  });

  const back = (done: string, who: string) => `/settings/team?${new URLSearchParams({ done, who }).toString()}`;
  const target = (body: { id: string; name: string }, platform: SignedIn['session']['user']['platform']) => ({ platform, id: body.id, name: body.name });

  app.post('/settings/team/invite', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { body: withRole } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { body } = request;
    const who = target(body, session.user.platform);
    await runConsoleAction(s, session.actor, { name: 'team_invite', resource: { type: 'member', id: userKey(who) }, details: { role: body.role }, requestId: request.id }, () =>
      invite(s, { actor: session.actor, target: who, role: body.role, requestId: request.id }),
    );
    return reply.redirect(back('invited', who.name), 303);
  });

  app.post('/settings/team/role', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { body: withRole } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const { body } = request;
    const who = target(body, session.user.platform);
    await runConsoleAction(s, session.actor, { name: 'team_role', resource: { type: 'member', id: userKey(who) }, details: { role: body.role }, requestId: request.id }, () =>
      setRole(s, { actor: session.actor, target: who, role: body.role, requestId: request.id }),
    );
    return reply.redirect(back('role', who.name), 303);
  });

  app.get('/settings/team/remove', { preHandler: ctx.requireSession, schema: { querystring: person } }, async (request, reply) => {
    const { viewer } = signedInOf(request);
    const { id, name } = request.query;
    return sendPage(
      reply,
      messagePage({
        title: `Remove ${name}?`,
        message: `${name} will no longer be able to use the bot. Their labs keep running; you can invite them back later.`,
        viewer,
        extra: html`<div class="actions">
<form method="post" action="/settings/team/remove"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="id" value="${id}"><input type="hidden" name="name" value="${name}"><button class="danger" type="submit">Remove ${name}</button></form>
<a class="button" href="/settings/team">Cancel</a>
</div>`,
      }),
    );
  });

  app.post('/settings/team/remove', { preHandler: [app.csrfProtection, ctx.requireSession], schema: { body: person } }, async (request, reply) => {
    const { session } = signedInOf(request);
    const who = target(request.body, session.user.platform);
    await runConsoleAction(s, session.actor, { name: 'team_remove', resource: { type: 'member', id: userKey(who) }, requestId: request.id }, () =>
      removeMember(s, { actor: session.actor, target: who, requestId: request.id }),
    );
    return reply.redirect(back('removed', who.name), 303);
  });
}

/** A person's name, and their chat id beside it when the name is not just the id (people the bot has not seen yet). */
function nameAndId(member: TeamMemberModel): SafeHtml {
  return html`${member.name}${member.name !== member.id ? html` <span class="muted mono">${member.id}</span>` : ''}`;
}

function roleSelect(id: string, selected: Role, label: string): SafeHtml {
  return html`<label class="visually-hidden" for="${id}">${label}</label>
<select id="${id}" name="role">${ROLES.map((role) => html`<option value="${role}"${role === selected ? html` selected` : ''}>${role}</option>`)}</select>`;
}

function invitePanel(q: string, found: DirectoryUser[] | undefined, signedIn: SignedIn): SafeHtml {
  const csrf = signedIn.viewer.csrfToken;
  return html`<section class="panel" aria-labelledby="invite-title">
<h2 id="invite-title">Invite someone</h2>
<form class="inline" method="get" action="/settings/team" role="search">
<label for="q">Name in ${PLATFORM_NAMES[signedIn.session.user.platform]}</label><input id="q" name="q" value="${q}" autocomplete="off" placeholder="ali">
<button type="submit">Search</button>
</form>
${found === undefined
  ? ''
  : found.length === 0
    ? html`<p class="muted">Nobody in the chat matches “${q}”.</p>`
    : html`<ul class="people">${found.map(
        (user) => html`<li><form class="inline" method="post" action="/settings/team/invite">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${user.id}"><input type="hidden" name="name" value="${user.name}">
<span><strong>${user.name}</strong>${user.realName && user.realName !== user.name ? html` <span class="muted">${user.realName}</span>` : ''}</span>
${roleSelect(`invite-${user.id}`, 'member', `Role for ${user.name}`)}
<button class="primary" type="submit">Invite ${user.name}</button>
</form></li>`,
      )}</ul>`}
</section>`;
}

function membersTable(members: TeamMemberModel[], signedIn: SignedIn): SafeHtml {
  const admin = signedIn.role === 'admin';
  const csrf = signedIn.viewer.csrfToken;
  return html`<h2>Members</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Added</th>${admin ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
<tbody>${members.map(
    (member) => html`<tr id="member-${member.id}">
<td>${nameAndId(member)}</td>
<td>${admin
      ? html`<form class="inline" method="post" action="/settings/team/role"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="id" value="${member.id}"><input type="hidden" name="name" value="${member.name}">${roleSelect(`role-${member.id}`, member.role, `Role of ${member.name}`)}<button type="submit">Change</button></form>`
      : html`<span class="badge">${member.role}</span>`}</td>
<td>${formatUtc(member.addedAt)}${member.addedBy ? html` <span class="muted">by ${member.addedBy.name}</span>` : html` <span class="muted">by configuration</span>`}</td>
${admin ? html`<td><a class="button" href="/settings/team/remove?${new URLSearchParams({ id: member.id, name: member.name }).toString()}">Remove…</a></td>` : ''}
</tr>`,
  )}</tbody>
</table></div>`;
}

function invitationsTable(team: TeamModel): SafeHtml {
  if (team.invitations.length === 0) return html`<h2>Pending invitations</h2><p class="muted">None.</p>`;
  return html`<h2>Pending invitations</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Invited</th><th scope="col">Role</th><th scope="col">By</th><th scope="col">Expires</th></tr></thead>
<tbody>${team.invitations.map(
    (invitation) => html`<tr><td>${invitation.inviteeName}</td><td>${invitation.role}</td><td>${invitation.invitedBy.name}</td><td>${formatUtc(invitation.expiresAt)}</td></tr>`,
  )}</tbody>
</table></div>`;
}

function removedTable(removed: TeamMemberModel[]): SafeHtml {
  return html`<h2>Removed</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Removed</th></tr></thead>
<tbody>${removed.map(
    (member) => html`<tr><td>${nameAndId(member)}</td><td>${member.removedAt ? formatUtc(member.removedAt) : ''}${member.removedBy ? html` <span class="muted">by ${member.removedBy.name}</span>` : ''}</td></tr>`,
  )}</tbody>
</table></div>`;
}
