import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { isAppError, outcomeOf, stopsProcess, type AppError } from '../errors.js';
import type { Door } from '../http/server.js';
import type { Services } from '../services.js';
import type { PageLink } from '../web/home.js';
import type { SecondFactorStep } from '../../workflows/passkey-sign-in.js';
import { auditRoutes } from './audit-page.js';
import { labsRoutes } from './labs-page.js';
import { CONSOLE_STYLESHEET_PATH, messagePage, sendPage } from './layout.js';
import { OidcClient, type OidcDiscoveryOptions } from './oidc-client.js';
import { oidcRoutes } from './oidc-sign-in.js';
import { passkeyRoutes } from './passkey-sign-in.js';
import { PASSKEY_SCRIPT, PASSKEY_SCRIPT_PATH } from './passkey-script.js';
import { securityRoutes } from './security-page.js';
import { findSignedIn, sessionCookie, type ConsoleCookie, type SignedIn } from './session.js';
import { sessionsRoutes } from './sessions-page.js';
import { signInRefusals, signInRoutes, type SignInRefusals } from './sign-in.js';
import { teamRoutes } from './team-page.js';
import { cloudKeysRoutes } from './cloud-keys-page.js';
import { apiKeysRoutes } from './api-keys-page.js';
import { CONSOLE_STYLESHEET } from './stylesheet.js';

export interface ConsoleOptions {
  services: Services;
  /** Where sign-in attempts are counted per client address; in the process when absent (one replica). */
  redis?: Redis;
  /** How the console reaches the OIDC issuer (tests allow a local issuer over http); openid-client's defaults when absent. */
  oidcDiscovery?: OidcDiscoveryOptions;
  /** Refused sign-ins allowed per client address in a window. */
  signInLimit?: { max: number; windowMs: number };
  /**
   * A page `/` sends visitors without a session to, instead of sign-in, when it `serves` them (the sandbox, when it is
   * on, for requests from this machine, the only ones it answers); the sign-in page points to it too.
   */
  visitorPage?: VisitorPage;
}

/** A page for people who are not signed in, and which requests it answers. */
export interface VisitorPage extends PageLink {
  serves(request: FastifyRequest): boolean;
}

/** What the console's routes share. */
export interface ConsoleContext {
  s: Services;
  cookie: ConsoleCookie;
  /** Refused sign-ins of every method, counted per client address (see `SignInRefusals`). */
  refusals: SignInRefusals;
  /** OpenID Connect sign-in, when OIDC_ISSUER is set. */
  oidc: OidcClient | undefined;
  /** The visitor page that serves this request, if any. */
  visitorPageFor(request: FastifyRequest): PageLink | undefined;
  /**
   * A preHandler: the route needs a signed-in member (pages send others to sign in; forms get 401) who has passed
   * the admins' second factor when it applies (pages send admins to that step; forms get 403).
   */
  requireSession: PreHandler;
  /**
   * A preHandler for the few routes open before the second factor: with `add_passkey`, those that add an admin's
   * first passkey (and any later step); with `use_passkey`, also the second-factor step itself and signing out.
   */
  requireSessionBefore(step: Exclude<SecondFactorStep, 'none'>): PreHandler;
}

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Refused sign-ins a client address may have in 10 minutes: enough for people's mistakes, far too few to guess. */
const DEFAULT_SIGN_IN_LIMIT = { max: 10, windowMs: 600_000 };

/**
 * The web console: server-rendered pages for the members of the chat, signed in with a one-time link from
 * `/env console`. A door like the chat ones: it checks the session, then calls the workflows as the member
 * (`consoleActor`), which decide and audit as they do for chat. Pages carry the site's strict Content-Security-Policy
 * (no inline script or style; `sendHtml` of src/web), helmet's other headers are on every answer, and every state
 * change needs the CSRF token of a form the console rendered. The shared scripts and stylesheet are `webAssetsDoor`'s.
 */
export function consoleDoor(options: ConsoleOptions): Door {
  const s = options.services;
  const https = s.config.PUBLIC_URL?.startsWith('https://') ?? false;
  return async (app) => {
    await app.register(fastifyCookie);
    await app.register(fastifyFormbody, { bodyLimit: 16_384 });
    await app.register(fastifyHelmet, {
      // Pages send the site's policy with themselves (one policy for every page of the bot).
      contentSecurityPolicy: false,
      hsts: https ? { maxAge: 31_536_000 } : false,
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginEmbedderPolicy: false,
    });
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: https ? '__Host-aitz_csrf' : 'aitz_csrf',
      cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: https },
    });
    await app.register(fastifyRateLimit, {
      global: false,
      ...(options.redis ? { redis: options.redis, nameSpace: `${s.config.QUEUE_PREFIX}:console-rate:` } : {}),
    });
    app.setErrorHandler((error: FastifyError, request, reply) => answerError(ctx, error, request, reply));

    const cookie = sessionCookie(https);
    const signedInOr401 = async (request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> => {
      const signedIn = await findSignedIn(s, cookie, request, reply);
      if (signedIn) return signedIn;
      if (request.method === 'GET' || request.method === 'HEAD') {
        await reply.redirect('/sign-in', 303);
        return undefined;
      }
      await sendPage(
        reply,
        messagePage({ title: 'Signed out', message: 'Your console session has ended.', hint: 'Type `/env console` in chat for a new sign-in link.', tone: 'problem' }),
        401,
      );
      return undefined;
    };
    /** Holds back a session whose second factor is due, unless the route is open at that step. */
    const gate = (openAt: readonly SecondFactorStep[]): PreHandler => async (request, reply) => {
      const signedIn = await signedInOr401(request, reply);
      if (!signedIn || openAt.includes(signedIn.secondFactor)) return;
      await holdForSecondFactor(signedIn, request, reply);
    };
    const ctx: ConsoleContext = {
      s,
      cookie,
      refusals: signInRefusals(app, options.signInLimit ?? DEFAULT_SIGN_IN_LIMIT),
      oidc: s.config.oidc ? new OidcClient(s.config.oidc, () => s.config.PUBLIC_URL ?? '', options.oidcDiscovery) : undefined,
      visitorPageFor: (request) => (options.visitorPage?.serves(request) ? options.visitorPage : undefined),
      requireSession: gate(['none']),
      requireSessionBefore: (step) => gate(step === 'use_passkey' ? ['none', 'add_passkey', 'use_passkey'] : ['none', 'add_passkey']),
    };

    // Browsers ask for an icon on every site; the console has none to give.
    app.get('/favicon.ico', async (_request, reply) => reply.code(204).header('Cache-Control', 'public, max-age=86400').send());
    app.get(CONSOLE_STYLESHEET_PATH, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CONSOLE_STYLESHEET),
    );
    app.get(PASSKEY_SCRIPT_PATH, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').header('X-Content-Type-Options', 'nosniff').send(PASSKEY_SCRIPT),
    );
    app.get('/', async (request, reply) => {
      const signedIn = await findSignedIn(s, cookie, request, reply);
      return reply.redirect(signedIn ? '/labs' : (ctx.visitorPageFor(request)?.href ?? '/sign-in'), 303);
    });
    signInRoutes(app, ctx);
    if (ctx.oidc) oidcRoutes(app, ctx, ctx.oidc, https);
    labsRoutes(app, ctx);
    auditRoutes(app, ctx);
    teamRoutes(app, ctx);
    cloudKeysRoutes(app, ctx);
    apiKeysRoutes(app, ctx);
    passkeyRoutes(app, ctx);
    securityRoutes(app, ctx);
    sessionsRoutes(app, ctx);
  };
}

/** Where each step of the second factor is taken. */
export const SECOND_FACTOR_PATHS: Readonly<Record<Exclude<SecondFactorStep, 'none'>, string>> = {
  add_passkey: '/settings/security',
  use_passkey: '/passkeys/second-factor',
};

/**
 * An admin whose second factor is due is sent to its step (pages) or refused (anything else), without reaching the
 * route: no admin page is rendered and no action runs until the session has its passkey assertion.
 */
async function holdForSecondFactor(signedIn: SignedIn, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (signedIn.secondFactor === 'none') return;
  const path = SECOND_FACTOR_PATHS[signedIn.secondFactor];
  if (request.method === 'GET' || request.method === 'HEAD') {
    await reply.redirect(path, 303);
    return;
  }
  await sendPage(
    reply,
    messagePage({
      title: 'Passkey needed',
      message:
        signedIn.secondFactor === 'add_passkey'
          ? 'Admins confirm their sign-in with a passkey here, and you have none yet: add one first.'
          : 'Admins confirm their sign-in with a passkey here before anything else.',
      hint: `Go to ${path}.`,
      tone: 'problem',
      viewer: signedIn.viewer,
    }),
    403,
  );
}

/** The status a refusal of the core answers with in the console: what the audit log calls denied is 403. */
function statusOf(error: AppError): number {
  if (error.code === 'not_found') return 404;
  if (error.code === 'sign_in_refused' || error.code === 'passkeys_off' || outcomeOf(error) === 'denied') return 403;
  return outcomeOf(error) === 'error' ? 500 : 400;
}

/**
 * Refusals as pages: the core's (its message and hint), CSRF failures, the sign-in rate limit, and anything else as
 * a failure with the request id (the error itself is logged, never shown).
 */
async function answerError(ctx: ConsoleContext, error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const signedIn = await findSignedIn(ctx.s, ctx.cookie, request, reply).catch(() => undefined);
  const send = (status: number, title: string, message: string, hint?: string) =>
    sendPage(reply, messagePage({ title, message, hint, tone: 'problem', viewer: signedIn?.viewer }), status);
  if (isAppError(error)) {
    const status = statusOf(error);
    await send(status, status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Refused', error.message, error.hint);
    if (stopsProcess(error)) ctx.s.processMustStop?.(error);
    return;
  }
  if (error.code?.startsWith('FST_CSRF_')) {
    await send(403, 'Form expired', 'This form did not come from this console, or it has expired.', 'Go back, reload the page and try again.');
    return;
  }
  if (error.statusCode === 429) {
    await send(429, 'Too many attempts', 'Too many refused sign-in attempts from your address.', 'Wait a few minutes, then open your newest sign-in link again.');
    return;
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    await send(error.statusCode, 'Bad request', 'The console could not read this request.');
    return;
  }
  request.log.error({ err: error }, 'console request failed');
  await send(500, 'Something went wrong', `The console could not finish this request (request id ${request.id}).`);
}
