import type { Role } from '../domain/users.js';
import { html, prose, type Html } from './html.js';

/** Where the console's own files are served. */
export const ASSETS = { stylesheet: '/assets/console/console.css', htmx: '/assets/console/htmx.min.js' } as const;

/** htmx adds no inline style, evaluates nothing, talks only to this server, and shows refusal pages as well. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[2345]..', swap: true },
  ],
});

/** The pages of the console's navigation, in order; `admin` pages are listed only for admins. */
export interface NavItem {
  path: string;
  label: string;
  adminOnly: boolean;
}

export const NAV: readonly NavItem[] = [
  { path: '/labs', label: 'Labs', adminOnly: false },
  { path: '/settings/audit', label: 'Audit', adminOnly: true },
];

/** Who is signed in, as the header shows them. */
export interface Viewer {
  name: string;
  role: Role;
  /** The CSRF token for the header's sign-out forms. */
  csrfToken: string;
}

export interface PageInput {
  title: string;
  /** The navigation entry to mark as the current page. */
  current?: string;
  viewer?: Viewer;
  body: Html;
}

/** A whole page: the document, the header with the navigation and sign-out, and the body. */
export function renderPage(input: PageInput): string {
  const { viewer } = input;
  const nav = viewer
    ? NAV.filter((item) => !item.adminOnly || viewer.role === 'admin').map(
        (item) => html`<li><a href="${item.path}" ${input.current === item.path ? html`aria-current="page"` : ''}>${item.label}</a></li>`,
      )
    : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${input.title} · Aithroyz console</title>
<link rel="stylesheet" href="${ASSETS.stylesheet}">
<script src="${ASSETS.htmx}" defer></script>
</head>
<body hx-boost="true">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">Aithroyz console</a>
${viewer ? html`<nav aria-label="Console"><ul>${nav}</ul></nav>
<div class="who"><a href="/account">${viewer.name}</a><span>${viewer.role}</span>
<form class="inline" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="link" type="submit">Sign out</button></form>
</div>` : ''}
</div></header>
<main id="main">
${input.body}
</main>
</body>
</html>
`.text;
}

/** A page that only says something: a refusal, a sign-in step, a confirmation. */
export function messagePage(input: { title: string; message: string; hint?: string | undefined; viewer?: Viewer; tone?: 'problem' | 'notice'; extra?: Html }): string {
  return renderPage({
    title: input.title,
    ...(input.viewer ? { viewer: input.viewer } : {}),
    body: html`<section class="panel narrow ${input.tone ?? ''}">
<h1>${input.title}</h1>
<p>${prose(input.message)}</p>
${input.hint ? html`<p class="muted">${prose(input.hint)}</p>` : ''}
${input.extra ?? ''}
</section>`,
  });
}
