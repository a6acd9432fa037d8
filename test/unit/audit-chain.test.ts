import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalEntry, canonicalJson, chainHash, GENESIS_HASH, type ChainedFields } from '../../src/audit/chain.js';

const fields: ChainedFields = {
  id: 42,
  occurredAt: new Date('2026-11-26T10:00:00.123Z'),
  category: 'environments',
  eventType: 'plan.approved',
  actorType: 'user',
  actorId: 'U1',
  actorName: 'alice',
  platform: 'slack',
  channelId: 'C1',
  resourceType: 'environment',
  resourceId: 'env-abc123',
  outcome: 'ok',
  details: { preset: 'web-pentest', ttl: '4h' },
  requestId: 'req-1',
};

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text whatever the key order (as jsonb reorders them)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(value));
      }),
    );
  });

  it('is JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('matches the plain definition: sorted entries, undefined members dropped, JSON.stringify for the rest', () => {
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${reference(item)}`).join(',')}}`;
    };
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
    );
  });

  it('escapes strings as JSON does, so no text can fake structure', () => {
    expect(canonicalJson({ 'a","b': 'x"]\n' })).toBe('{"a\\",\\"b":"x\\"]\\n"}');
    expect(canonicalJson(['a', 'b'])).not.toBe(canonicalJson(['a","b']));
  });
});

describe('chainHash', () => {
  it('is a SHA-256 hex digest over the previous hash and the canonical entry', () => {
    expect(chainHash(GENESIS_HASH, fields)).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, fields)).toBe(chainHash(GENESIS_HASH, { ...fields, details: { ttl: '4h', preset: 'web-pentest' } }));
    expect(canonicalEntry(fields)).toBe(
      '[42,"2026-11-26T10:00:00.123Z","environments","plan.approved","user","U1","alice","slack","C1","environment","env-abc123","ok",{"preset":"web-pentest","ttl":"4h"},"req-1"]',
    );
  });

  it('changes when any field or the previous hash changes', () => {
    const base = chainHash(GENESIS_HASH, fields);
    const variants: Partial<ChainedFields>[] = [
      { id: 43 },
      { occurredAt: new Date('2026-11-26T10:00:00.124Z') },
      { category: 'team' },
      { eventType: 'plan.rejected' },
      { actorType: 'system' },
      { actorId: 'U2' },
      { actorName: 'alicE' },
      { platform: 'mattermost' },
      { channelId: null },
      { resourceType: 'env' },
      { resourceId: 'env-abc124' },
      { outcome: 'denied' },
      { details: { preset: 'web-pentest', ttl: '5h' } },
      { requestId: null },
    ];
    for (const variant of variants) expect(chainHash(GENESIS_HASH, { ...fields, ...variant })).not.toBe(base);
    expect(chainHash('f'.repeat(64), fields)).not.toBe(base);
  });

  it('keeps null and empty text apart, and fields from running into each other', () => {
    expect(chainHash(GENESIS_HASH, { ...fields, channelId: null })).not.toBe(chainHash(GENESIS_HASH, { ...fields, channelId: '' }));
    expect(chainHash(GENESIS_HASH, { ...fields, actorId: 'U1a', actorName: 'lice' })).not.toBe(chainHash(GENESIS_HASH, fields));
  });
});
