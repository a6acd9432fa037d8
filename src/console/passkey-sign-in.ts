import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { completeSecondFactor, passkeySignInOptions, secondFactorOptions, signInWithPasskey } from '../../workflows/passkey-sign-in.js';
import { MAX_RESPONSE_LENGTH } from '../domain/passkeys.js';
import { relyingPartyOf } from '../domain/relying-party.js';
import { isAppError } from '../errors.js';
import type { HttpApp } from '../http/server.js';
import type { Config } from '../config.js';
import { ASSET_PATHS } from '../web/assets.js';
import { html, type SafeHtml } from '../web/html.js';
import type { ConsoleContext } from './door.js';
import { consolePage, sendPage } from './layout.js';
import { PASSKEY_SCRIPT_PATH } from './passkey-script.js';
import { signedInOf } from './session.js';

/** The scripts of a page with a passkey form: @simplewebauthn/browser, then the console's passkey script. */
export const PASSKEY_SCRIPTS: readonly string[] = [ASSET_PATHS.webauthn, PASSKEY_SCRIPT_PATH];

export const PASSKEY_PATHS = {
  signIn: '/passkeys/sign-in',
  signInOptions: '/passkeys/sign-in/options',
  secondFactor: '/passkeys/second-factor',
  secondFactorOptions: '/passkeys/second-factor/options',
} as const;

/** A ceremony's answer from the browser, as the passkey forms post it. */
export const responseForm = z.object({ response: z.string().max(MAX_RESPONSE_LENGTH).default(''), _csrf: z.string().optional() });

/** Options for a ceremony can be asked for this often per client address (each is a row until it expires). */
const OPTIONS_RATE = { max: 30, timeWindow: 60_000 };

/**
 * Answers a ceremony's options as JSON for the passkey script, or a refusal as `{ message, hint }` (the script shows
 * it beside the form): passkeys off, a bad name, too many refused attempts from the address.
 */
export async function sendOptions(reply: FastifyReply, make: () => Promise<object>): Promise<FastifyReply> {
  try {
    const options = await make();
    return reply.header('Cache-Control', 'no-store').send(options);
  } catch (error) {
    if (isAppError(error)) return reply.code(error.code === 'passkeys_off' ? 403 : 400).send({ message: error.message, hint: error.hint });
    if (error instanceof Error && 'statusCode' in error && error.statusCode === 429) {
      return reply.code(429).send({ message: 'Too many refused sign-in attempts from your address.', hint: 'Wait a few minutes, then try again.' });
    }
    throw error;
  }
}

/** The sign-in page's passkey form, when PUBLIC_URL can carry passkeys; hidden until the script finds WebAuthn. */
export function passkeySignInPanel(config: Pick<Config, 'PUBLIC_URL'>, csrfToken: string): SafeHtml {
  if (!relyingPartyOf(config.PUBLIC_URL)) return html``;
  return html`<div class="passkey-choice">
<h2>Or use a passkey</h2>
<form method="post" action="${PASSKEY_PATHS.signIn}" data-passkey="sign-in" data-options="${PASSKEY_PATHS.signInOptions}" hidden>
<input type="hidden" name="_csrf" value="${csrfToken}">
<input type="hidden" name="response" value="">
<button class="primary" type="submit">Sign in with a passkey</button>
<p class="muted" role="status" aria-live="polite" data-passkey-status></p>
</form>
<p class="muted" data-passkey-unsupported>Signing in with a passkey needs a browser with JavaScript and passkey support. Add passkeys under Settings → Security once signed in.</p>
</div>`;
}

/**
 * Signing in with a passkey, and an admin's second factor. The options are fetched by the passkey script (POST, with
 * the form's CSRF token); the answer comes back as an ordinary form post whose answer is a page. Refusals count
 * against the client address as refused sign-in links do, and past the limit nothing is looked at.
 */
export function passkeyRoutes(app: HttpApp, ctx: ConsoleContext): void {
  const { s, cookie, refusals } = ctx;

  app.post(PASSKEY_PATHS.signInOptions, { preHandler: app.csrfProtection, config: { rateLimit: OPTIONS_RATE } }, async (request, reply) =>
    sendOptions(reply, async () => {
      await refusals.checkLimit(request);
      return passkeySignInOptions(s);
    }),
  );

  app.post(PASSKEY_PATHS.signIn, { preHandler: app.csrfProtection, schema: { body: responseForm } }, async (request, reply) => {
    await refusals.checkLimit(request);
    const { sessionId } = await signInWithPasskey(s, { response: request.body.response, clientAddress: request.ip, requestId: request.id }).catch(
      (error: unknown) => refusals.countIfRefused(request, error),
    );
    cookie.set(reply, sessionId);
    // A new CSRF secret with the new session: a token from before sign-in does not carry over.
    reply.generateCsrf();
    return reply.redirect('/', 303);
  });

  app.get(PASSKEY_PATHS.secondFactor, { preHandler: ctx.requireSessionBefore('use_passkey') }, async (request, reply) => {
    const { secondFactor, viewer } = signedInOf(request);
    if (secondFactor === 'none') return reply.redirect('/', 303);
    if (secondFactor === 'add_passkey') return reply.redirect('/settings/security', 303);
    return sendPage(
      reply,
      consolePage({
        title: 'Confirm with your passkey',
        viewer,
        scripts: PASSKEY_SCRIPTS,
        body: html`<section class="panel narrow">
<h1>Confirm with your passkey</h1>
<p>Admins confirm each sign-in with one of their passkeys before the console opens.</p>
<form method="post" action="${PASSKEY_PATHS.secondFactor}" data-passkey="second-factor" data-options="${PASSKEY_PATHS.secondFactorOptions}" hidden>
<input type="hidden" name="_csrf" value="${viewer.csrfToken}">
<input type="hidden" name="response" value="">
<button class="primary" type="submit">Use my passkey</button>
<p class="muted" role="status" aria-live="polite" data-passkey-status></p>
</form>
<p class="muted" data-passkey-unsupported>This step needs a browser with JavaScript and passkey support.</p>
<form class="inline" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><button class="link" type="submit">Sign out instead</button></form>
</section>`,
      }),
    );
  });

  app.post(
    PASSKEY_PATHS.secondFactorOptions,
    { preHandler: [app.csrfProtection, ctx.requireSessionBefore('use_passkey')], config: { rateLimit: OPTIONS_RATE } },
    async (request, reply) =>
      sendOptions(reply, async () => {
        await refusals.checkLimit(request);
        return secondFactorOptions(s, signedInOf(request).session);
      }),
  );

  app.post(
    PASSKEY_PATHS.secondFactor,
    { preHandler: [app.csrfProtection, ctx.requireSessionBefore('use_passkey')], schema: { body: responseForm } },
    async (request, reply) => {
      await refusals.checkLimit(request);
      const { session } = signedInOf(request);
      await completeSecondFactor(s, session, { response: request.body.response, clientAddress: request.ip, requestId: request.id }).catch((error: unknown) =>
        refusals.countIfRefused(request, error),
      );
      return reply.redirect('/', 303);
    },
  );
}
