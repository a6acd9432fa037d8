import { mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/project-files.js';

/**
 * Browser tests: headless Chromium from the distribution's package (Debian `chromium`), driven by playwright-core.
 * playwright-core downloads no browser; CHROMIUM_PATH overrides where the binary is.
 *
 * Every page opened here records what would go wrong unseen in a real browser (script errors, console errors such as
 * a Content-Security-Policy refusal, failed requests, 4xx/5xx answers): tests assert `problems` is empty.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots of every run land here (ignored by git). */
export const SCREENSHOT_DIR = join(PROJECT_ROOT, 'test-results', 'screenshots');
/** With SAVE_SCREENSHOTS=1 they are also copied here, for the README and the docs. */
export const DOCS_SCREENSHOT_DIR = join(PROJECT_ROOT, 'docs', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Running as root in a container: Chromium's own sandbox needs user namespaces it may not have.
    chromiumSandbox: false,
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
  });
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** What went wrong in the page so far, one line each. */
  problems: string[];
}

export interface PageOptions {
  /** Relative URLs in `page.goto` resolve against it. */
  baseURL: string;
  viewport?: { width: number; height: number };
  /** Answers with these statuses are expected (a test of a refusal) and not problems. */
  allowStatuses?: number[];
  /** The colour scheme the page's system asks for (prefers-color-scheme); light by default. */
  colorScheme?: 'light' | 'dark';
}

/** A fresh context (its own cookies) and page, recording problems. */
export async function openPage(browser: Browser, options: PageOptions): Promise<OpenPage> {
  const context = await browser.newContext({
    baseURL: options.baseURL,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed = new Set(options.allowStatuses ?? []);
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'failed';
    // A live stream cut when the page goes away is not a problem.
    if (reason.includes('ERR_ABORTED')) return;
    problems.push(`request failed: ${request.method()} ${request.url()} (${reason})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !allowed.has(response.status())) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { context, page, problems };
}

/** Saves a screenshot of the page as `<name>.png`; returns its path. */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false, animations: 'disabled' });
  if (process.env.SAVE_SCREENSHOTS === '1') {
    await mkdir(DOCS_SCREENSHOT_DIR, { recursive: true });
    await copyFile(path, join(DOCS_SCREENSHOT_DIR, `${name}.png`));
  }
  return path;
}

/** A credential the virtual authenticator holds, as the CDP WebAuthn domain reports it. */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

export interface VirtualAuthenticator {
  /** The passkeys it holds now. */
  credentials(): Promise<VirtualCredential[]>;
  remove(): Promise<void>;
}

/**
 * A passkey authenticator built into the page's browser tab by Chromium's CDP WebAuthn domain: a platform
 * authenticator (CTAP2, internal) that keeps discoverable credentials, verifies its user, and answers prompts at
 * once, with real keys and signatures, as a laptop's fingerprint reader would.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<VirtualAuthenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
