import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Door } from '../http/server.js';
import { SITE_STYLESHEET } from './style.js';

/**
 * The files every page loads, served by the bot itself from its npm packages (no CDN, nothing fetched at run time):
 * htmx and its Server-Sent Events extension, @simplewebauthn/browser (passkeys), and the site's stylesheet. Pages
 * link them by these paths.
 */
export const ASSET_PATHS = {
  htmx: '/assets/htmx.min.js',
  htmxSse: '/assets/htmx-sse.js',
  webauthn: '/assets/simplewebauthn-browser.js',
  stylesheet: '/assets/site.css',
  icon: '/assets/icon.svg',
} as const;

/** The site's icon: a lab flask. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f2a44"/>' +
  '<path d="M13 7h6v2h-1v6l6 9a2 2 0 0 1-1.7 3H9.7A2 2 0 0 1 8 24l6-9V9h-1z" fill="#fff"/>' +
  '<path d="M11 22h10l-3-5h-4z" fill="#2f5bd3"/></svg>';

const require = createRequire(import.meta.url);

interface Asset {
  type: string;
  body: string;
}

function packageFile(specifier: string): string {
  return readFileSync(require.resolve(specifier), 'utf8');
}

/** A file of a package whose `exports` do not list it: found from the folder of the package's entry point up. */
function packageBundle(name: string, file: string): string {
  for (let folder = dirname(require.resolve(name)); folder !== dirname(folder); folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json')) && folder.endsWith(join('node_modules', name))) return readFileSync(join(folder, file), 'utf8');
  }
  throw new Error(`the package ${name} has no folder of its own under node_modules`);
}

/** Read once, when the door is made: a missing package fails at start-up, not on the first page. */
function loadAssets(): Map<string, Asset> {
  const javascript = 'text/javascript; charset=utf-8';
  return new Map([
    [ASSET_PATHS.htmx, { type: javascript, body: packageFile('htmx.org/dist/htmx.min.js') }],
    [ASSET_PATHS.htmxSse, { type: javascript, body: packageFile('htmx-ext-sse/dist/sse.js') }],
    // Its browser bundle, which defines the global `SimpleWebAuthnBrowser`.
    [ASSET_PATHS.webauthn, { type: javascript, body: packageBundle('@simplewebauthn/browser', 'dist/bundle/index.umd.min.js') }],
    [ASSET_PATHS.stylesheet, { type: 'text/css; charset=utf-8', body: SITE_STYLESHEET }],
    [ASSET_PATHS.icon, { type: 'image/svg+xml', body: ICON_SVG }],
  ]);
}

/** `GET /assets/…`: the shared scripts and stylesheet of the web pages (the sandbox and the console). */
export function webAssetsDoor(): Door {
  const assets = loadAssets();
  return async (app) => {
    for (const [path, asset] of assets) {
      app.get(path, async (_request, reply) =>
        reply
          .header('Content-Type', asset.type)
          .header('Cache-Control', 'public, max-age=3600')
          .header('X-Content-Type-Options', 'nosniff')
          .send(asset.body),
      );
    }
  };
}
