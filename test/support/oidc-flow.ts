import { expect } from 'vitest';
import { ConsoleClient, type ClientResponse } from './console.js';
import type { TestIssuer } from './oidc-issuer.js';

/** The console's client at the test issuer. */
export const OIDC_CLIENT = { clientId: 'aithroyz-console', clientSecret: 'test-oidc-client-secret' };

/** The bot's OIDC settings for the test issuer at `issuerUrl`. */
export function OIDC_SETTINGS(issuerUrl: string): Record<string, string> {
  return { OIDC_ISSUER: issuerUrl, OIDC_CLIENT_ID: OIDC_CLIENT.clientId, OIDC_CLIENT_SECRET: OIDC_CLIENT.clientSecret };
}

/** A sign-in up to the issuer's answer: the browser that started it, and the callback path the issuer sent it to. */
export interface OidcRoundTrip {
  client: ConsoleClient;
  /** The answer to pressing the button (the redirect to the issuer). */
  start: ClientResponse;
  /** The callback path and query, as the issuer redirected the browser to it (not yet followed). */
  callback: string;
}

/**
 * What a browser does over HTTP: open the console's sign-in page, press the issuer's button, follow the redirects
 * to the issuer's sign-in page, sign in there as `email`, and follow the issuer's redirects up to the console's
 * callback (under `publicUrl`), which is returned unvisited so tests can send it as they like.
 */
export async function oidcSignIn(consoleBase: string, issuer: TestIssuer, publicUrl: string, email: string): Promise<OidcRoundTrip> {
  const client = new ConsoleClient(consoleBase);
  const page = await client.get('/sign-in');
  expect(page.body).toContain('href="/sign-in/oidc"');
  const start = await client.get('/sign-in/oidc');
  expect(start.status, start.body.slice(0, 400)).toBe(303);
  const atIssuer = new ConsoleClient(issuer.url);
  let location = start.headers.get('location')!;
  let signedInThere = false;
  for (let hop = 0; hop < 10; hop += 1) {
    const url = new URL(location, issuer.url);
    if (url.href.startsWith(`${publicUrl}/`)) return { client, start, callback: `${url.pathname}${url.search}` };
    const answer = await atIssuer.get(`${url.pathname}${url.search}`);
    if (answer.status === 200 && !signedInThere) {
      const action = /<form method="post" action="([^"]+)"/.exec(answer.body);
      expect(action, answer.body.slice(0, 400)).not.toBeNull();
      const posted = await atIssuer.post(action![1]!, { email });
      expect(posted.status, posted.body.slice(0, 400)).toBe(303);
      signedInThere = true;
      location = posted.headers.get('location')!;
      continue;
    }
    expect([302, 303], answer.body.slice(0, 400)).toContain(answer.status);
    location = answer.headers.get('location')!;
  }
  throw new Error('the issuer never sent the browser back to the console');
}
