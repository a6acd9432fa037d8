import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Door } from '../http/server.js';
import { SITE_STYLESHEET } from './style.js';

/**
 * The files every page loads, served by the bot itself from its npm packages (no CDN, nothing fetched at run time):
 * htmx and its Server-Sent Events extension, and the site's stylesheet. Pages link them by these paths.
 */
export const ASSET_PATHS = {
  htmx: '/assets/htmx.min.js',
  htmxSse: '/assets/htmx-sse.js',
  stylesheet: '/assets/site.css',
} as const;

const require = createRequire(import.meta.url);

interface Asset {
  type: string;
  body: string;
}

function packageFile(specifier: string): string {
  return readFileSync(require.resolve(specifier), 'utf8');
}

/** Read once, when the door is made: a missing package fails at start-up, not on the first page. */
function loadAssets(): Map<string, Asset> {
  const javascript = 'text/javascript; charset=utf-8';
  return new Map([
    [ASSET_PATHS.htmx, { type: javascript, body: packageFile('htmx.org/dist/htmx.min.js') }],
    [ASSET_PATHS.htmxSse, { type: javascript, body: packageFile('htmx-ext-sse/dist/sse.js') }],
    [ASSET_PATHS.stylesheet, { type: 'text/css; charset=utf-8', body: SITE_STYLESHEET }],
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
