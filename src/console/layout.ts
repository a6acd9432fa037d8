import type { FastifyReply } from 'fastify';
import type { Role } from '../domain/users.js';
import { html, type HtmlValue, type SafeHtml } from '../web/html.js';
import { layout, sendHtml } from '../web/layout.js';
import { prose } from './text.js';

/** The console's own stylesheet (the site's shared one comes first). */
export const CONSOLE_STYLESHEET_PATH = '/assets/console.css';

/** The pages of the console's navigation, in order; `adminOnly` pages are listed only for admins. */
export interface NavItem {
  path: string;
  label: string;
  adminOnly: boolean;
}

export const NAV: readonly NavItem[] = [
  { path: '/labs', label: 'Labs', adminOnly: false },
  { path: '/settings/team', label: 'Team', adminOnly: false },
  { path: '/settings/api-keys', label: 'API keys', adminOnly: false },
  { path: '/settings/security', label: 'Security', adminOnly: false },
  { path: '/settings/sessions', label: 'Sessions', adminOnly: false },
  { path: '/settings/cloud-keys', label: 'Cloud keys', adminOnly: true },
  { path: '/settings/audit', label: 'Audit', adminOnly: true },
];

/** Who is signed in, as the header shows them. */
export interface Viewer {
  name: string;
  role: Role;
  /** The CSRF token for the page's forms (the header's sign-out among them). */
  csrfToken: string;
  /** Set while an admin's second factor is due: the navigation is left out, since its pages are not open yet. */
  held?: boolean;
}

export interface PageInput {
  title: string;
  /** The navigation entry to mark as the current page. */
  current?: string;
  viewer?: Viewer | undefined;
  body: HtmlValue;
  /** Scripts the page needs besides htmx (the passkey pages'). */
  scripts?: readonly string[];
}

/** A whole console page: the site's layout, the header with the navigation and sign-out, and the body. */
export function consolePage(input: PageInput): SafeHtml {
  const { viewer } = input;
  const nav = viewer && !viewer.held
    ? NAV.filter((item) => !item.adminOnly || viewer.role === 'admin').map(
        (item) => html`<li><a href="${item.path}"${input.current === item.path ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
      )
    : [];
  return layout({
    title: `${input.title} · Aithroyz console`,
    stylesheets: [CONSOLE_STYLESHEET_PATH],
    ...(input.scripts ? { scripts: input.scripts } : {}),
    body: html`<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">Aithroyz console</a>
${viewer
  ? html`<nav aria-label="Console"><ul>${nav}</ul></nav>
<div class="who"><a href="/settings/sessions">${viewer.name}</a><span class="badge">${viewer.role}</span>
<form class="inline" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="link" type="submit">Sign out</button></form>
</div>`
  : ''}
</div></header>
<main id="main">
${input.body}
</main>`,
  });
}

export interface MessageInput {
  title: string;
  message: string;
  hint?: string | undefined;
  viewer?: Viewer | undefined;
  tone?: 'problem' | 'notice';
  extra?: SafeHtml;
  scripts?: readonly string[];
}

/** A page that only says something: a refusal, a sign-in step, a confirmation. */
export function messagePage(input: MessageInput): SafeHtml {
  return consolePage({
    title: input.title,
    viewer: input.viewer,
    ...(input.scripts ? { scripts: input.scripts } : {}),
    body: html`<section class="panel narrow ${input.tone ?? ''}">
<h1>${input.title}</h1>
<p>${prose(input.message)}</p>
${input.hint ? html`<p class="muted">${prose(input.hint)}</p>` : ''}
${input.extra ?? ''}
</section>`,
  });
}

/** Sends a console page with the site's headers (its Content-Security-Policy, no caching). */
export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return sendHtml(reply, page, status);
}
