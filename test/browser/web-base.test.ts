import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { ASSET_PATHS, webAssetsDoor } from '../../src/web/assets.js';
import { html } from '../../src/web/html.js';
import { layout, sendHtml } from '../../src/web/layout.js';
import { onlyFromThisMachine } from '../../src/web/local-only.js';
import { launchBrowser, openPage } from '../support/browser.js';
import { rawRequest } from '../support/raw-http.js';

/** The web base in a real browser: the layout, the assets it links, htmx swapping a fragment, the page's CSP. */
describe('web pages in headless Chromium', () => {
  let server: HttpServer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    server = createHttpServer({ log: silentLogger });
    server.register(webAssetsDoor());
    server.register(async (app) => {
      app.addHook('onRequest', onlyFromThisMachine);
      app.get('/page', async (_request, reply) =>
        sendHtml(
          reply,
          layout({
            title: 'A page',
            body: html`<main><h1>${'Hello <world>'}</h1><button id="load" hx-get="/fragment" hx-target="#out">Load</button><div id="out">empty</div></main>`,
          }),
        ),
      );
      app.get('/fragment', async (_request, reply) => sendHtml(reply, html`<p id="loaded">${'loaded & swapped'}</p>`));
    });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the page, loads htmx from this server and swaps a fragment, with nothing refused', async () => {
    const { page, problems, context } = await openPage(browser, { baseURL: base });
    await page.goto('/page');
    expect(await page.locator('h1').textContent()).toBe('Hello <world>');
    await page.waitForFunction('"htmx" in window');
    await page.click('#load');
    await expect.poll(() => page.locator('#loaded').textContent()).toBe('loaded & swapped');
    // An inline script is refused by the page's policy: the runner reports it as a problem.
    // (Page code is written as strings: the tests' TypeScript has no DOM types.)
    await page.evaluate(`{ const script = document.createElement('script'); script.textContent = 'window.inlineRan = true'; document.body.append(script); }`);
    expect(await page.evaluate('"inlineRan" in window')).toBe(false);
    await expect.poll(() => problems.some((line) => line.includes('Content Security Policy'))).toBe(true);
    await context.close();
  });

  it('serves the assets with their types', async () => {
    for (const path of Object.values(ASSET_PATHS)) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(path.endsWith('.css') ? /^text\/css/ : path.endsWith('.svg') ? /^image\/svg\+xml/ : /^text\/javascript/);
    }
  });

  it('answers a foreign Host with 403 and nothing of the page', async () => {
    const response = await rawRequest(`${base}/page`, { headers: { host: 'evil.example' } });
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('Hello');
    expect((await rawRequest(`${base}/page`, { headers: { host: 'localhost' } })).status).toBe(200);
  });
});
