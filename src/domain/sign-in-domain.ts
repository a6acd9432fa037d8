/**
 * Which domain an OpenID Connect sign-in comes from, and whether OIDC_ALLOWED_DOMAINS lets it in. Google names the
 * Workspace of an account in the `hd` claim; an account without one (a personal account, or another issuer) is
 * judged by its email's domain.
 */
export function signInDomain(email: string, hostedDomain: string | undefined): string {
  const domain = hostedDomain ?? email.slice(email.lastIndexOf('@') + 1);
  return domain.trim().toLowerCase();
}

/** True when `allowed` is empty (any domain) or names the domain exactly (a subdomain is another domain). */
export function domainAllowed(domain: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.includes(domain);
}
