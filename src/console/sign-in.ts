import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../errors.js';
import { redeemSignInLink, signOut, SIGN_IN_PATH } from '../../workflows/console-sessions.js';
import type { HttpApp } from '../http/server.js';
import type { ConsoleContext } from './door.js';
import { html } from '../web/html.js';
import { consolePage, messagePage, sendPage } from './layout.js';
import { oidcButton } from './oidc-sign-in.js';
import { passkeySignInPanel, PASSKEY_SCRIPTS } from './passkey-sign-in.js';
import { signedInOf } from './session.js';
import { prose } from './text.js';

const tokenParams = z.object({ token: z.string().max(200) });

/** Refused sign-ins, counted per client address: past the limit, the address is refused before anything is looked at. */
export interface SignInRefusals {
  /** Throws the 429 refusal when the request's address is past the limit. */
  checkLimit(request: FastifyRequest): Promise<void>;
  /** Counts one refused attempt from the request's address. */
  count(request: FastifyRequest): Promise<void>;
  /** Counts `error` when it is a refused sign-in (`sign_in_refused`), then throws it. */
  countIfRefused(request: FastifyRequest, error: unknown): Promise<never>;
}

/**
 * One counter for every way of signing in (a link, OIDC, a passkey, the admins' second factor): mistakes of any kind
 * add up against the same limit.
 */
export function signInRefusals(app: HttpApp, limit: { max: number; windowMs: number }): SignInRefusals {
  const refusals = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs });
  return {
    async checkLimit(request) {
      const state = await refusals(request, { increment: false });
      if (!state.isAllowed && state.remaining === 0) {
        throw Object.assign(new Error('too many refused sign-ins from this address'), { statusCode: 429 });
      }
    },
    async count(request) {
      await refusals(request);
    },
    async countIfRefused(request, error) {
      if (isAppError(error) && error.code === 'sign_in_refused') await refusals(request);
      throw error;
    },
  };
}

/**
 * Signing in with the link from `/env console`. Chat clients open links to preview them, so opening the link only
 * shows a Continue button; pressing it (a POST with the form's CSRF token) uses the link. Refused links are counted
 * per client address: past the limit, the address is refused before any link is looked at.
 */
export function signInRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s, cookie, refusals } = ctx;

  // `/login` is where people type their way to a sign-in page; it is this one.
  app.get('/login', async (_request, reply) => reply.redirect('/sign-in', 301));

  app.get('/sign-in', async (request, reply) => {
    const signedOut = typeof request.query === 'object' && request.query !== null && 'signed-out' in request.query;
    const visitorPage = ctx.visitorPageFor(request);
    const fromChat = 'type `/env console` and open the link the bot sends you by direct message.';
    const linkHint = 'Each link works once, for 10 minutes, and only for the person who asked for it.';
    const passkeyAndVisitor = html`${passkeySignInPanel(s.config, reply.generateCsrf())}${
      visitorPage ? html`<div class="card"><a href="${visitorPage.href}">${visitorPage.title}</a><p class="muted">${visitorPage.description}</p></div>` : ''
    }`;
    const signedOutNote = signedOut ? 'You are signed out. ' : '';
    return sendPage(
      reply,
      messagePage({
        title: signedOut ? 'Signed out' : 'Sign in',
        // With OIDC, its button comes first and the chat link is the other way in.
        ...(ctx.oidc
          ? {
              message: `${signedOutNote}Sign in with your ${ctx.oidc.settings.name} account.`,
              extra: html`${oidcButton(ctx.oidc)}<p>${prose(`Or sign in from chat: ${fromChat}`)}</p><p class="muted">${prose(linkHint)}</p>${passkeyAndVisitor}`,
            }
          : { message: `${signedOutNote}The console signs you in from chat: ${fromChat}`, hint: linkHint, extra: passkeyAndVisitor }),
        scripts: PASSKEY_SCRIPTS,
      }),
    );
  });

  app.get(`${SIGN_IN_PATH}/:token`, { schema: { params: tokenParams } }, async (request, reply) => {
    await refusals.checkLimit(request);
    const csrf = reply.generateCsrf();
    return sendPage(
      reply,
      consolePage({
        title: 'Sign in',
        body: html`<section class="panel narrow">
<h1>Sign in to the console</h1>
<p>Continue to sign in as the chat user who asked for this link.</p>
<form method="post" action="${SIGN_IN_PATH}/${request.params.token}">
<input type="hidden" name="_csrf" value="${csrf}">
<button class="primary" type="submit">Continue</button>
</form>
</section>`,
      }),
    );
  });

  app.post(
    `${SIGN_IN_PATH}/:token`,
    { schema: { params: tokenParams }, preHandler: app.csrfProtection },
    async (request, reply) => {
      await refusals.checkLimit(request);
      const { sessionId } = await redeemSignInLink(s, { token: request.params.token, clientAddress: request.ip, requestId: request.id }).catch(
        (error: unknown) => refusals.countIfRefused(request, error),
      );
      cookie.set(reply, sessionId);
      // A new CSRF secret with the new session: a token from before sign-in does not carry over.
      reply.generateCsrf();
      return reply.redirect('/', 303);
    },
  );

  for (const [path, everywhere] of [['/sign-out', false], ['/sign-out/everywhere', true]] as const) {
    // Open before an admin's second factor too: anyone signed in may leave.
    app.post(path, { preHandler: [app.csrfProtection, ctx.requireSessionBefore('use_passkey')] }, async (request, reply) => {
      await signOut(s, signedInOf(request).session, { everywhere, requestId: request.id });
      cookie.clear(reply);
      return reply.redirect('/sign-in?signed-out', 303);
    });
  }
}
