import type { FastifyReply } from 'fastify';
import { ASSET_PATHS } from './assets.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/**
 * The frame of every page: the document head with the shared stylesheet and scripts (htmx and its SSE extension,
 * served by `webAssetsDoor`), then the page's own content. Pages work without JavaScript; htmx only makes them
 * update in place.
 */
export interface PageOptions {
  title: string;
  body: HtmlValue;
  /** Stylesheets of the page besides the site's own. */
  stylesheets?: readonly string[];
  /** Scripts of the page besides htmx, run in this order once the page is parsed. */
  scripts?: readonly string[];
  /** Attributes of `<body>` (htmx settings such as `hx-boost`), already HTML. */
  bodyAttributes?: SafeHtml;
}

/**
 * htmx settings: no inline style (the page's Content-Security-Policy allows only the stylesheets it links: no indicator
 * style element, and no `style` attribute carried over when a swapped element settles), no `eval` of attribute code,
 * and history snapshots off (pages are re-rendered from the server).
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  attributesToSettle: ['class', 'width', 'height'],
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
});

export function layout(options: PageOptions): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${options.title}</title>
<link rel="icon" href="${ASSET_PATHS.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_PATHS.stylesheet}">
${(options.stylesheets ?? []).map((href) => html`<link rel="stylesheet" href="${href}">\n`)}<script src="${ASSET_PATHS.htmx}" defer></script>
<script src="${ASSET_PATHS.htmxSse}" defer></script>
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>
`)}</head>
<body${options.bodyAttributes ?? ''}>
${options.body}
</body>
</html>
`;
}

/**
 * Scripts and styles come only from this server's files: no inline script or style can run, even one that slipped
 * into a page; pages cannot be framed by another site.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/** Sends HTML with the headers every page carries. */
export function sendHtml(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .header('Cache-Control', 'no-store')
    .send(page.value);
}
