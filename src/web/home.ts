import type { Door } from '../http/server.js';
import { html } from './html.js';
import { layout, sendHtml } from './layout.js';

/** A page the bot serves, as the home page lists it. */
export interface PageLink {
  href: string;
  title: string;
  description: string;
}

/**
 * `GET /`: a page that says what this server is and points to the pages people use (the sandbox, the console), so a
 * browser pointed at the bot finds its way instead of a JSON 404.
 */
export function homeDoor(links: readonly PageLink[]): Door {
  const page = layout({
    title: 'Aithroyz ChatOps',
    body: html`<main class="home">
  <h1>Aithroyz ChatOps</h1>
  <p>A chat-ops bot for short-lived security labs: request in chat, approve with a button, workers deploy, and every step lands in a tamper-evident audit log.</p>
  ${links.length > 0
    ? html`<ul class="home-links">${links.map((link) => html`<li class="card"><a href="${link.href}">${link.title}</a><p class="muted">${link.description}</p></li>`)}</ul>`
    : html`<p class="muted">No page is open on this server: people use the bot from Slack or Mattermost.</p>`}
  <p class="muted">For operators: <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a>.</p>
</main>`,
  });
  return async (app) => {
    app.get('/', async (_request, reply) => sendHtml(reply, page));
  };
}
