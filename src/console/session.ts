import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../domain/users.js';
import type { Services } from '../services.js';
import { openSession, SESSION_MAX_MS, type ConsoleSession } from '../../workflows/console-sessions.js';
import { secondFactorStep, type SecondFactorStep } from '../../workflows/passkey-sign-in.js';
import { authorize } from '../../workflows/roles.js';
import type { Viewer } from './layout.js';

/**
 * A cookie of the console: httpOnly, SameSite=Lax, Secure (and named with the `__Host-` prefix, which pins it to this
 * host and path /) when the console is served over https. What it holds is read back only when it has the shape the
 * console wrote.
 */
export class ConsoleCookie {
  readonly name: string;

  constructor(
    name: string,
    readonly secure: boolean,
    private readonly maxAgeSeconds: number,
    private readonly shape: RegExp,
  ) {
    this.name = secure ? `__Host-${name}` : name;
  }

  options(): { path: string; httpOnly: true; sameSite: 'lax'; secure: boolean } {
    return { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure };
  }

  set(reply: FastifyReply, value: string): void {
    reply.setCookie(this.name, value, { ...this.options(), maxAge: this.maxAgeSeconds });
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(this.name, this.options());
  }

  read(request: FastifyRequest): string | undefined {
    const value = request.cookies[this.name];
    return value !== undefined && this.shape.test(value) ? value : undefined;
  }
}

/** The console's session cookie: the session's random id, for as long as a session may last. */
export function sessionCookie(secure: boolean): ConsoleCookie {
  return new ConsoleCookie('aitz_console', secure, SESSION_MAX_MS / 1000, /^[A-Za-z0-9_-]{20,100}$/);
}

/** A request's signed-in member: the session, the role Postgres holds for them now, and the header's view of them. */
export interface SignedIn {
  session: ConsoleSession;
  role: Role;
  viewer: Viewer;
  /** What the admin's second factor still asks of this session (`none` for everyone else). */
  secondFactor: SecondFactorStep;
}

const signedInByRequest = new WeakMap<FastifyRequest, SignedIn>();

/** The session the request's cookie names, if still open; its role is read now, as chat reads it for each command. */
export async function findSignedIn(s: Services, cookie: ConsoleCookie, request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
  const known = signedInByRequest.get(request);
  if (known) return known;
  const sessionId = cookie.read(request);
  if (sessionId === undefined) return undefined;
  const session = await openSession(s, sessionId, request.ip);
  if (!session) {
    cookie.clear(reply);
    return undefined;
  }
  const role = await authorize(s, session.actor, 'read');
  const secondFactor = await secondFactorStep(s, session, role);
  const signedIn: SignedIn = { session, role, secondFactor, viewer: { name: session.user.name || session.user.id, role, csrfToken: reply.generateCsrf(), held: secondFactor !== 'none' } };
  signedInByRequest.set(request, signedIn);
  return signedIn;
}

/** The signed-in member of a route behind `requireSession`. */
export function signedInOf(request: FastifyRequest): SignedIn {
  const signedIn = signedInByRequest.get(request);
  if (!signedIn) throw new Error('route without requireSession');
  return signedIn;
}
