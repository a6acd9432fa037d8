import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { OIDC_CALLBACK_PATH } from '../config.js';
import { PLATFORM_NAMES, PLATFORMS } from '../domain/users.js';
import type { HttpApp } from '../http/server.js';
import { html, type SafeHtml } from '../web/html.js';
import type { StartedSession } from '../../workflows/console-sessions.js';
import {
  beginOidcSignIn,
  chooseOidcAccount,
  OIDC_REQUEST_TTL_MS,
  pendingOidcChoices,
  refuseOidcSignIn,
  signInWithOidc,
  takeOidcRequest,
  type OidcRequestContext,
} from '../../workflows/oidc-sign-in.js';
import type { ConsoleContext } from './door.js';
import { messagePage, sendPage } from './layout.js';
import { ConsoleCookie } from './session.js';
import type { OidcClient } from './oidc-client.js';

/**
 * The sign-in button leads here; the issuer sends the browser back to OIDC_CALLBACK_PATH. A link, not a form: the
 * pages' Content-Security-Policy lets forms submit only to this site, and the answer redirects to the issuer.
 */
export const OIDC_START_PATH = '/sign-in/oidc';
/** Where someone whose email matched a member on both platforms picks one. */
export const OIDC_CHOOSE_PATH = '/sign-in/oidc/choose';

/**
 * The sign-in's state, in a cookie of the browser that pressed the button (SameSite=Lax so that it comes back with
 * the issuer's redirect, for the sign-in's 10 minutes): the callback must come back to that same browser.
 */
function oidcStateCookie(secure: boolean): ConsoleCookie {
  return new ConsoleCookie('aitz_oidc', secure, OIDC_REQUEST_TTL_MS / 1000, /^[A-Za-z0-9_-]{43}$/);
}

/** The sign-in page's button, when OIDC is on: a link that starts a sign-in at the issuer. */
export function oidcButton(client: OidcClient): SafeHtml {
  return html`<p class="sign-in-oidc"><a class="button primary" href="${OIDC_START_PATH}">Sign in with ${client.settings.name}</a></p>`;
}

const choiceBody = z.object({ platform: z.enum(PLATFORMS), _csrf: z.string().optional() });

/**
 * OpenID Connect sign-in: the button starts a sign-in (state, nonce and PKCE verifier kept server-side, the state
 * also in the browser's cookie) and sends the browser to the issuer; the issuer sends it back to the callback, which
 * checks the state against the cookie, uses the sign-in once, trades the code for a verified ID token and signs in
 * the chat account of its email. Every refusal is audited and counted against the client address's limit.
 */
export function oidcRoutes(app: HttpApp, ctx: ConsoleContext, client: OidcClient, secure: boolean): void {
  const { s, cookie, refusals } = ctx;
  const stateCookie = oidcStateCookie(secure);
  const requestContext = (request: FastifyRequest): OidcRequestContext => ({ clientAddress: request.ip, requestId: request.id });
  /** Runs a step of the sign-in; a refusal from it is counted against the address (the workflow audited it). */
  const counted = <T>(request: FastifyRequest, step: () => Promise<T>): Promise<T> => step().catch((error: unknown) => refusals.countIfRefused(request, error));
  const signedIn = (reply: FastifyReply, started: StartedSession): FastifyReply => {
    stateCookie.clear(reply);
    cookie.set(reply, started.sessionId);
    // A new CSRF secret with the new session: a token from before sign-in does not carry over.
    reply.generateCsrf();
    return reply.redirect('/', 303);
  };

  // Starting a sign-in changes nothing but this browser's state cookie, so it needs no CSRF token: a page elsewhere
  // that sends someone here only sends them to the issuer, where they sign in as themselves.
  app.get(OIDC_START_PATH, async (request, reply) => {
    await refusals.checkLimit(request);
    const secrets = await beginOidcSignIn(s);
    const target = await client.authorizationUrl(secrets);
    stateCookie.set(reply, secrets.state);
    return reply.redirect(target.href, 303);
  });

  app.get(OIDC_CALLBACK_PATH, async (request, reply) => {
    await refusals.checkLimit(request);
    const query = request.raw.url?.split('?')[1] ?? '';
    const returned = new URLSearchParams(query).get('state');
    const state = stateCookie.read(request);
    stateCookie.clear(reply);
    return counted(request, async () => {
      if (state === undefined || returned !== state) {
        throw await refuseOidcSignIn(s, 'bad_state', requestContext(request), { problem: state === undefined ? 'no sign-in under way in this browser' : 'state differs' });
      }
      const taken = await takeOidcRequest(s, state);
      if (!taken) throw await refuseOidcSignIn(s, 'bad_state', requestContext(request), { problem: 'unknown, used or expired' });
      const answer = await client.exchange(query, { state, ...taken });
      if ('refused' in answer) throw await refuseOidcSignIn(s, answer.refused, requestContext(request), { problem: answer.problem });
      const outcome = await signInWithOidc(s, { state, identity: answer.identity, ...requestContext(request) });
      if (outcome.kind === 'signed_in') return signedIn(reply, outcome.started);
      // Both platforms: the state cookie stays for the choice, which is bound to this browser as the callback was.
      stateCookie.set(reply, state);
      return reply.redirect(OIDC_CHOOSE_PATH, 303);
    });
  });

  app.get(OIDC_CHOOSE_PATH, async (request, reply) => {
    await refusals.checkLimit(request);
    const state = stateCookie.read(request);
    const choices = state === undefined ? undefined : await pendingOidcChoices(s, state);
    if (!choices) {
      return counted(request, async () => {
        throw await refuseOidcSignIn(s, 'bad_state', requestContext(request), { problem: 'no choice waiting in this browser' });
      });
    }
    const csrf = reply.generateCsrf();
    return sendPage(
      reply,
      messagePage({
        title: 'Choose an account',
        message: 'Your email address belongs to a member on both chat platforms. Sign in as:',
        extra: html`<div class="actions">
${choices.map(
  (choice) => html`<form method="post" action="${OIDC_CHOOSE_PATH}">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="platform" value="${choice.platform}">
<button type="submit">${choice.name} on ${PLATFORM_NAMES[choice.platform]}</button>
</form>`,
)}
</div>`,
      }),
    );
  });

  app.post(OIDC_CHOOSE_PATH, { schema: { body: choiceBody }, preHandler: app.csrfProtection }, async (request, reply) => {
    await refusals.checkLimit(request);
    const state = stateCookie.read(request);
    return counted(request, async () => {
      if (state === undefined) throw await refuseOidcSignIn(s, 'bad_state', requestContext(request), { problem: 'no choice waiting in this browser' });
      const started = await chooseOidcAccount(s, { state, platform: request.body.platform, ...requestContext(request) });
      return signedIn(reply, started);
    });
  });
}
