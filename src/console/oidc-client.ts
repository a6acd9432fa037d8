import * as oidc from 'openid-client';
import { OIDC_CALLBACK_PATH, type OidcConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { OidcRefusal, OidcSecrets, VerifiedIdentity } from '../../workflows/oidc-sign-in.js';

/** How the console reaches the issuer; tests add `execute: [allowInsecureRequests]` for a local issuer over http. */
export type OidcDiscoveryOptions = oidc.DiscoveryRequestOptions;

/** The issuer's answer, read: who it says signed in, or why that is refused. */
export type CodeExchange = { identity: VerifiedIdentity } | { refused: OidcRefusal; problem: string };

/**
 * The console's side of OpenID Connect (authorization code flow with PKCE, state and nonce), with openid-client.
 * The issuer's metadata is discovered on first use and kept; a failed discovery is tried again on the next sign-in.
 */
export class OidcClient {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly settings: OidcConfig,
    private readonly publicUrl: () => string,
    private readonly discoveryOptions: OidcDiscoveryOptions = {},
  ) {}

  /** The redirect URI registered with the issuer: PUBLIC_URL and the callback path. */
  redirectUri(): string {
    return `${this.publicUrl().replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`;
  }

  /** Where to send the browser to sign in: the issuer's authorization endpoint with this sign-in's secrets. */
  async authorizationUrl(secrets: OidcSecrets): Promise<URL> {
    const configuration = await this.configuration();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(),
      scope: 'openid email profile',
      response_type: 'code',
      state: secrets.state,
      nonce: secrets.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Trades the code in the callback's query for tokens and checks the ID token (signature, issuer, audience, nonce,
   * times) and the response's `iss` and `state`. The email comes from the ID token, or from userinfo when the issuer
   * keeps it there. A refusal says why; an issuer that cannot be reached is an error, not a refusal.
   */
  async exchange(callbackQuery: string, secrets: OidcSecrets): Promise<CodeExchange> {
    const configuration = await this.configuration();
    const currentUrl = new URL(`${this.redirectUri()}?${callbackQuery}`);
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: secrets.codeVerifier,
        expectedState: secrets.state,
        expectedNonce: secrets.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // fetch fails with a TypeError when the issuer cannot be reached.
      if (error instanceof TypeError) throw unreachable(this.settings, error);
      return { refused: refusalOf(error), problem: describe(error) };
    }
    const claims = tokens.claims();
    if (!claims) return { refused: 'bad_token', problem: 'no ID token' };
    let identity = identityOf(claims);
    if (identity.email === undefined) {
      const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub).catch((error: unknown) => {
        throw unreachable(this.settings, error);
      });
      identity = identityOf(userInfo);
    }
    return { identity };
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined, this.discoveryOptions)
      .catch((error: unknown) => {
        this.discovered = undefined;
        throw unreachable(this.settings, error);
      });
    return this.discovered;
  }
}

function identityOf(claims: oidc.IDToken | oidc.UserInfoResponse): VerifiedIdentity {
  return {
    email: typeof claims.email === 'string' ? claims.email : undefined,
    // Some issuers send the string "true".
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    hostedDomain: typeof claims.hd === 'string' && claims.hd !== '' ? claims.hd : undefined,
  };
}

/** What a failed code exchange means for the person: the issuer said no, the answer was not for us, or it was forged. */
function refusalOf(error: unknown): OidcRefusal {
  if (error instanceof oidc.AuthorizationResponseError) return 'provider_refused';
  if (error instanceof oidc.ClientError) {
    const cause: unknown = error.cause;
    const detail = cause instanceof Error ? cause : undefined;
    const claim = (detail?.cause as { claim?: unknown } | undefined)?.claim;
    if (claim === 'iss' || /"iss"/.test(detail?.message ?? '')) return 'wrong_issuer';
    if (claim === 'aud' || claim === 'azp') return 'wrong_audience';
    if (/"state"/.test(detail?.message ?? '')) return 'bad_state';
  }
  return 'bad_token';
}

function describe(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError) return `${error.error}: ${error.error_description ?? ''}`.slice(0, 300);
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 300);
}

function unreachable(settings: OidcConfig, error: unknown): AppError {
  return new AppError('unavailable', `The sign-in provider (${settings.name}) could not be reached.`, {
    hint: 'Try again in a minute, or type `/env console` in chat for a sign-in link.',
    retry: true,
    cause: error,
  });
}
