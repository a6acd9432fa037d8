import { describe, expect, it } from 'vitest';
import { domainAllowed, signInDomain } from '../../src/domain/sign-in-domain.js';

describe('the domain of an OIDC sign-in', () => {
  it('is the hd claim when the token has one, else the email’s domain, in lower case', () => {
    expect(signInDomain('ana@Example.COM', undefined)).toBe('example.com');
    expect(signInDomain('ana@example.com', 'Corp.Example.com')).toBe('corp.example.com');
    expect(signInDomain('"odd@local"@example.com', undefined)).toBe('example.com');
  });

  it('is allowed when the list is empty or names it exactly: a subdomain or a look-alike is another domain', () => {
    expect(domainAllowed('anything.test', [])).toBe(true);
    expect(domainAllowed('example.com', ['example.com', 'example.org'])).toBe(true);
    expect(domainAllowed('sub.example.com', ['example.com'])).toBe(false);
    expect(domainAllowed('example.com.evil.test', ['example.com'])).toBe(false);
    expect(domainAllowed('badexample.com', ['example.com'])).toBe(false);
  });
});
