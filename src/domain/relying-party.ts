import { isIP } from 'node:net';

/**
 * The WebAuthn relying party the console's passkeys belong to: its id is PUBLIC_URL's host name and its origin
 * PUBLIC_URL's scheme, host and port. A passkey works only on the site whose host it was made for, so changing
 * PUBLIC_URL's host leaves existing passkeys unusable (members add new ones).
 */
export interface RelyingParty {
  /** The RP id: a domain name, such as `chatops.example.com` or `localhost`. */
  id: string;
  /** The origin browsers report, such as `https://chatops.example.com`. */
  origin: string;
  /** What authenticators show people. */
  name: string;
}

export const RELYING_PARTY_NAME = 'Aithroyz console';

/** Why a URL cannot carry passkeys, or undefined when it can. */
export function passkeyHostProblem(publicUrl: string): string | undefined {
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    return `its host ${host} is an IP address, and browsers tie passkeys to a domain name (use a name such as chatops.example.com, or localhost on this machine)`;
  }
  return undefined;
}

/** The relying party of a PUBLIC_URL, or undefined when passkeys cannot work there (see `passkeyHostProblem`). */
export function relyingPartyOf(publicUrl: string | undefined): RelyingParty | undefined {
  if (publicUrl === undefined || passkeyHostProblem(publicUrl) !== undefined) return undefined;
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: RELYING_PARTY_NAME };
}
