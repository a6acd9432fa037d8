import { describe, expect, it } from 'vitest';
import { attribute, escapeHtml, html, joinHtml, trustedHtml } from '../../src/web/html.js';
import { CONTENT_SECURITY_POLICY, layout } from '../../src/web/layout.js';
import { foreignRequestReason, isLoopbackAddress } from '../../src/web/local-only.js';

describe('html templates', () => {
  it('escape every value put into them', () => {
    const name = `<script>alert("x")</script>&'\``;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>',
    );
  });

  it('keep HTML made by templates, join lists and drop null, undefined and booleans', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${true}${0}`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
    expect(joinHtml(['x&y', html`<br>`, 'z'], ', ').value).toBe('x&amp;y, <br>, z');
    expect(html`${trustedHtml('<hr>')}`.value).toBe('<hr>');
  });

  it('write attributes only when they have a value', () => {
    expect(html`<input${attribute('value', 'a"b')}${attribute('disabled', true)}${attribute('hidden', false)}${attribute('x', undefined)}>`.value).toBe(
      '<input value="a&quot;b" disabled>',
    );
    expect(escapeHtml('plain')).toBe('plain');
  });

  it('lay pages out with their scripts from this server and no inline script', () => {
    const page = layout({ title: 'T <1>', body: html`<main>${'<b>'}</main>` }).value;
    expect(page).toContain('<title>T &lt;1&gt;</title>');
    expect(page).toContain('<main>&lt;b&gt;</main>');
    expect(page).toContain('<script src="/assets/htmx.min.js" defer></script>');
    expect(page.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
  });
});

describe('the loopback-only guard', () => {
  const request = (remoteAddress: string | undefined, headers: Record<string, string>) => ({ headers, raw: { socket: { remoteAddress } } });

  it('knows loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.2', 'fe80::1', 'localhost', '', undefined]) expect(isLoopbackAddress(address), String(address)).toBe(false);
  });

  it('lets this machine in by localhost or 127.0.0.1, with or without a port and a local Origin', () => {
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:3000', 'LOCALHOST:1', '[::1]:3000']) {
      expect(foreignRequestReason(request('127.0.0.1', { host })), host).toBeUndefined();
    }
    expect(foreignRequestReason(request('::1', { host: 'localhost:3000', origin: 'http://127.0.0.1:3000' }))).toBeUndefined();
  });

  it('refuses other addresses, hosts (DNS rebinding) and origins', () => {
    expect(foreignRequestReason(request('10.1.2.3', { host: 'localhost:3000' }))).toBe('not from a loopback address');
    for (const host of ['evil.example:3000', 'localhost.evil.example', '127.0.0.1.nip.io', '', 'localhost:3000:1', '10.0.0.1']) {
      expect(foreignRequestReason(request('127.0.0.1', { host })), host).toBe('Host is not localhost or 127.0.0.1');
    }
    expect(foreignRequestReason(request('127.0.0.1', {}))).toBe('Host is not localhost or 127.0.0.1');
    for (const origin of ['http://evil.example', 'null', 'file://', 'http://localhost.evil.example:3000']) {
      expect(foreignRequestReason(request('127.0.0.1', { host: 'localhost:3000', origin })), origin).toBe('Origin is not this machine');
    }
  });
});
