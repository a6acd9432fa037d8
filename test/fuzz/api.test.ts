import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { revokeApiKey } from '../../workflows/api-keys.js';
import { ApiHarness } from '../support/api-harness.js';
import { anyBody, anyContentType, anyJson, anyText, HTTP_PROPERTY, mangled } from '../support/arbitraries.js';
import { USERS } from '../support/services.js';

/**
 * Every route of the REST API under random and malformed requests, through the real HTTP server: any key or none,
 * any path id, junk query strings, mangled and raw bodies of any content type. Only answers below 500 may come out,
 * refusals as problem+json.
 */
interface Operation {
  requestBody?: { content: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}
let h: ApiHarness;
let operations: { method: string; path: string; operation: Operation }[] = [];
const keys: string[] = [];
let labId = '';

beforeAll(async () => {
  h = await ApiHarness.start({ settings: { API_RATE_LIMIT: '100000', MAX_ACTIVE_PER_USER: '1000' } });
  keys.push(await h.keyFor(USERS.admin, 'write'), await h.keyFor(USERS.admin, 'read'), await h.keyFor(USERS.alice, 'write'), await h.keyFor(USERS.approver, 'write'));
  const revoked = await h.keyFor(USERS.bob, 'write', 'bob-revoked');
  await revokeApiKey(h.t.s, { actor: chatActor(USERS.bob), ref: 'bob-revoked', requestId: 'fuzz-revoke' });
  keys.push(revoked);
  const lab = await h.call('POST', '/api/v1/environments', { key: keys[2]!, body: { preset: 'soc-platform' } });
  labId = (lab.json as { id: string }).id;
  const doc = (await h.call('GET', '/api/v1/openapi.json')).json as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Text a URL can carry: lone surrogates cannot be percent-encoded. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udfff]/g, (unit, index: number, whole: string) => {
  const code = unit.charCodeAt(0);
  const pairedHigh = code < 0xdc00 && /[\udc00-\udfff]/.test(whole[index + 1] ?? '');
  const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(whole[index - 1] ?? '');
  return pairedHigh || pairedLow ? unit : '';
});

const anyKey = () =>
  fc.oneof(
    fc.integer({ min: 0, max: 4 }).map((index) => `Bearer ${keys[index]}`),
    fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', 'bearer aitz_', 'Basic Zm9vOmJhcg==', `Bearer aitz_${'0'.repeat(200)}`),
    fc.string({ maxLength: 80 }).map((text) => `Bearer aitz_${text.replace(/[^\x20-\x7e]/g, '')}`),
  );
const anyId = () => fc.oneof(fc.constant(() => labId), fc.constantFrom('env-zzzzzz', 'ENV-AAAAAA', '..', '%2e%2e', 'x'.repeat(300)).map((id) => () => id), anyText().map((text) => () => encodeURIComponent(wellFormed(text))));
const anyQuery = () =>
  fc.oneof(
    fc.constant(''),
    fc.dictionary(fc.constantFrom('status', 'mine', 'from', 'to', 'type', 'actor', 'resource', 'cursor', 'limit', 'all', '__proto__'), fc.oneof(anyText(), fc.constantFrom('1000', '-1', '1e9', 'true', 'running', 'team', '2026-11-26', 'environment:env-aaaaaa')), { maxKeys: 4 })
      .map((query) => `?${new URLSearchParams(query).toString()}`),
    anyText().map((text) => `?${text.replace(/[#\s]/g, '')}`),
  );

function bodyFor(operation: Operation): fc.Arbitrary<{ body?: string | Uint8Array; contentType?: string }> {
  const fields = operation.requestBody?.content['application/json']?.schema?.properties ?? {};
  const base = Object.fromEntries(Object.keys(fields).map((field) => [field, 'x']));
  return fc.oneof(
    fc.constant({}),
    mangled(base).map((body) => ({ body: JSON.stringify(body), contentType: 'application/json' })),
    anyJson().map((body) => ({ body: JSON.stringify(body) ?? '', contentType: 'application/json' })),
    fc.tuple(anyBody(), anyContentType()).map(([body, contentType]) => ({ body, ...(contentType !== undefined ? { contentType } : {}) })),
  );
}

describe('the REST API under random requests', () => {
  it('answers every route with a success or a 4xx problem, never a 5xx', async () => {
    expect(operations.length).toBe(12);
    for (const { method, path, operation } of operations) {
      await fc.assert(
        fc.asyncProperty(anyKey(), anyId(), anyQuery(), bodyFor(operation), async (authorization, id, query, payload) => {
          const headers: Record<string, string> = {};
          if (authorization !== undefined) headers.authorization = authorization;
          if (payload.contentType !== undefined) headers['content-type'] = payload.contentType;
          const url = `${h.base}${path.replace('{id}', id())}${query}`;
          const sendsBody = method !== 'GET' && payload.body !== undefined;
          const response = await fetch(url, { method, headers, ...(sendsBody ? { body: payload.body } : {}) });
          const text = await response.text();
          expect(response.status, `${method} ${url}: ${text.slice(0, 300)}`).toBeLessThan(500);
          // 431 (a request line over Node's header limit) is answered by the server before any route sees it.
          if (response.status >= 400 && response.status !== 431) expect(response.headers.get('content-type'), `${method} ${url}`).toBe('application/problem+json');
        }),
        HTTP_PROPERTY,
      );
    }
  }, 240_000);

  it('answers paths and methods the API does not have with a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), anyText(), anyKey(), async (method, tail, authorization) => {
        const path = `/api/v1/${encodeURIComponent(wellFormed(tail))}`;
        const response = await fetch(`${h.base}${path}`, { method, headers: authorization ? { authorization } : {} });
        await response.text();
        expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
      }),
      HTTP_PROPERTY,
    );
  });
});
