import { createHash, createSign, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

type ProviderClass = typeof Provider;
import { escapeHtml } from '../../src/web/html.js';

/**
 * A real OpenID Connect issuer for tests: the `oidc-provider` package on a free port of 127.0.0.1, with a sign-in
 * page of its own where a person types the email of one of the issuer's accounts. Nothing of the protocol is faked:
 * discovery, the authorization endpoint, PKCE, the token endpoint, signed ID tokens, JWKS and userinfo are the
 * package's.
 *
 * The issuer can also be made to misbehave as a compromised or misconfigured one would: `tamperIdToken` rewrites the
 * claims of the ID tokens it issues, still signed with its own key (an ID token made for another client, or naming
 * another issuer).
 */
export interface IssuerAccount {
  email: string;
  emailVerified: boolean;
  /** Google's hosted-domain claim. */
  hd?: string;
  name?: string;
}

export interface IssuerClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

type Claims = Record<string, unknown>;

export class TestIssuer {
  /** Accounts by email (lower case). */
  readonly accounts = new Map<string, IssuerAccount>();
  /** When set, every ID token the issuer hands out has its claims changed by this (and is signed again). */
  tamperIdToken: ((claims: Claims) => Claims) | undefined;
  private provider: Provider | undefined;
  private readonly key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly kid = 'test-key';

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly Provider: ProviderClass,
  ) {}

  /** Listens on a free port; the issuer answers once `serve` has named its clients. */
  static async listen(): Promise<TestIssuer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = new TestIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, await loadProvider());
    server.on('request', (req, res) => void issuer.handle(req, res));
    return issuer;
  }

  addAccount(account: IssuerAccount): void {
    this.accounts.set(account.email.toLowerCase(), account);
  }

  /** Starts the issuer for these clients (its URL is fixed: the clients may be known only after it listens). */
  async serve(clients: IssuerClient[]): Promise<void> {
    const jwk: JsonWebKey = { ...this.key.privateKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' };
    const provider = await withoutExpectedWarnings(() => new this.Provider(this.url, {
      clients: clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      })),
      jwks: { keys: [jwk as Record<string, unknown>] },
      cookies: { keys: ['test-issuer-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified', 'hd'], profile: ['name'] },
      // Like Google: the email is in the ID token, not only behind the userinfo endpoint.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx, sub) => {
        const account = [...this.accounts.values()].find((candidate) => subjectOf(candidate.email) === sub);
        if (!account) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: account.email,
            email_verified: account.emailVerified,
            ...(account.hd ? { hd: account.hd } : {}),
            ...(account.name ? { name: account.name } : {}),
          }),
        };
      },
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><title>Issuer error</title><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`;
      },
    }));
    provider.use(async (ctx: KoaContextWithOIDC, next) => {
      await next();
      const body: unknown = ctx.body;
      if (this.tamperIdToken && ctx.path === '/token' && isTokenResponse(body)) body.id_token = this.resign(body.id_token, this.tamperIdToken);
    });
    this.provider = provider;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const provider = this.provider;
    if (!provider) {
      res.writeHead(503).end('issuer not started');
      return;
    }
    if (req.url === '/favicon.ico') {
      // Browsers ask every site for an icon; the issuer has none.
      res.writeHead(204).end();
      return;
    }
    try {
      const interaction = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
      if (interaction && req.method === 'GET') return this.signInPage(provider, req, res, '');
      if (interaction && req.method === 'POST') return await this.signIn(provider, req, res);
      await provider.callback()(req, res);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  }

  /** The issuer's own sign-in page: an email field (any of its accounts). */
  private async signInPage(provider: Provider, req: IncomingMessage, res: ServerResponse, problem: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    res.writeHead(problem ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Test issuer</title></head><body>
<h1>Sign in to the test issuer</h1>
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="email">
<button type="submit">Sign in</button>
</form></body></html>`);
  }

  /** Signs in the account with the typed email and grants the console's scopes, as a person would on consent. */
  private async signIn(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const email = new URLSearchParams(await readBody(req)).get('email')?.toLowerCase() ?? '';
    if (!this.accounts.has(email)) return this.signInPage(provider, req, res, 'No account with that email.');
    const accountId = subjectOf(email);
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  /** The ID token with its claims changed, signed again with the issuer's key (so only the claims are wrong). */
  private resign(idToken: string, change: (claims: Claims) => Claims): string {
    const [header, payload] = idToken.split('.') as [string, string];
    const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims);
    const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.key.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }
}

/**
 * oidc-provider 9 runs on Node 20 but warns on import that it wants Node 22, and warns that its in-memory store loses
 * everything on restart: true, and fine for a test issuer, so those two lines are kept out of the test output.
 */
const EXPECTED_WARNINGS = /Unsupported runtime|in-memory adapter/;

async function withoutExpectedWarnings<T>(run: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!EXPECTED_WARNINGS.test(String(args[0]))) warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

async function loadProvider(): Promise<ProviderClass> {
  return withoutExpectedWarnings(async () => (await import('oidc-provider')).default);
}

function subjectOf(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24);
}

function isTokenResponse(body: unknown): body is { id_token: string } {
  return typeof body === 'object' && body !== null && typeof (body as { id_token?: unknown }).id_token === 'string';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
