import { describe, expect, it } from 'vitest';
import { newEnvId, parseEnvId } from '../../src/domain/ids.js';
import {
  ACTIVE_STATES, assertTransition, canTransition, ENV_STATES, isTerminal, TERMINAL_STATES, TRANSITIONS,
} from '../../src/domain/lifecycle.js';
import { canActOnEnvironment, canDecidePlans, checkQuota, checkRequestedTtl } from '../../src/domain/policy.js';
import { costEstimate, loadCatalog, parseCatalog } from '../../src/domain/presets.js';
import { parseRole } from '../../src/domain/users.js';
import { AppError } from '../../src/errors.js';

const catalog = loadCatalog();

describe('environment ids', () => {
  it('generates typeable ids', () => {
    for (let index = 0; index < 200; index += 1) expect(newEnvId()).toMatch(/^env-[a-z0-9]{6}$/);
  });
  it('normalises case and refuses anything else with a hint', () => {
    expect(parseEnvId(' ENV-7K2P9Q ')).toBe('env-7k2p9q');
    for (const bad of ['', 'env-', 'env-1234567', 'env_7k2p9q', "env-7k2p9q'; drop table environments;--", '🙂']) {
      expect(() => parseEnvId(bad)).toThrow(AppError);
    }
    expect(() => parseEnvId(undefined)).toThrow(/missing/);
  });
});

describe('the lifecycle state machine', () => {
  it('lists a rule for every state and only known states', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ENV_STATES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const target of targets) expect(ENV_STATES).toContain(target);
  });
  it('follows the product lifecycle', () => {
    const happy = ['pending_approval', 'approved', 'deploying', 'running', 'destroying', 'destroyed'] as const;
    for (let index = 1; index < happy.length; index += 1) expect(canTransition(happy[index - 1]!, happy[index]!)).toBe(true);
    expect(canTransition('pending_approval', 'rejected')).toBe(true);
    expect(canTransition('pending_approval', 'approval_expired')).toBe(true);
    expect(canTransition('deploying', 'destroying')).toBe(true);
    expect(canTransition('destroying', 'deploy_failed')).toBe(true);
    expect(canTransition('destroy_failed', 'destroying')).toBe(true);
  });
  it('lets nothing leave a terminal state and refuses shortcuts', () => {
    for (const state of TERMINAL_STATES) {
      expect(TRANSITIONS[state]).toEqual([]);
      expect(isTerminal(state)).toBe(true);
    }
    expect(() => assertTransition('pending_approval', 'running')).toThrow(/cannot become running/);
    expect(() => assertTransition('running', 'approved')).toThrow(AppError);
    expect(ACTIVE_STATES.some((state) => isTerminal(state))).toBe(false);
  });
});

describe('policy', () => {
  const alice = { platform: 'slack' as const, id: 'UA' };
  const bob = { platform: 'slack' as const, id: 'UB' };
  it('roles', () => {
    expect(canDecidePlans('member')).toBe(false);
    expect(canDecidePlans('approver')).toBe(true);
    expect(canDecidePlans('admin')).toBe(true);
    expect(canActOnEnvironment('member', alice, alice)).toBe(true);
    expect(canActOnEnvironment('member', alice, bob)).toBe(false);
    expect(canActOnEnvironment('approver', alice, bob)).toBe(false);
    expect(canActOnEnvironment('admin', alice, bob)).toBe(true);
    expect(canActOnEnvironment('member', { platform: 'mattermost', id: 'UA' }, alice)).toBe(false);
    expect(parseRole(' Approver ')).toBe('approver');
    expect(() => parseRole('owner')).toThrow(expect.objectContaining({ code: 'invalid_role', hint: 'Roles: admin, approver, member.' }));
  });
  it('TTL limits name the allowed range', () => {
    const preset = catalog.get('quick-sandbox');
    expect(() => checkRequestedTtl(90, preset, 900)).toThrow(/between 15m and 8h/);
    expect(() => checkRequestedTtl(9 * 3600, preset, 900)).toThrow(/too long/);
    expect(() => checkRequestedTtl(3600, preset, 900)).not.toThrow();
  });
  it('quota', () => {
    expect(() => checkQuota(2, 3)).not.toThrow();
    expect(() => checkQuota(3, 3)).toThrow(expect.objectContaining({ code: 'quota_exceeded' }));
  });
});

describe('the presets catalog', () => {
  it('holds the four presets of the product with their TTLs', () => {
    expect(catalog.presets.map((preset) => preset.id)).toEqual(['soc-platform', 'ir-dfir-lab', 'threat-hunting', 'quick-sandbox']);
    const soc = catalog.get('soc-platform');
    expect([soc.defaultTtlSeconds, soc.maxTtlSeconds, soc.approvalRequired]).toEqual([8 * 3600, 3 * 86_400, true]);
    expect(catalog.get('quick-sandbox').approvalRequired).toBe(false);
    expect(catalog.get('ir-dfir-lab').tools.map((tool) => tool.id)).toEqual(['velociraptor', 'dfir-iris', 'minio', 'elastic']);
    expect(costEstimate(soc, 8 * 3600)).toBe('≈ $9.60 for 8h');
  });
  it('refuses an unknown preset listing the valid ones', () => {
    expect(() => catalog.get('soc')).toThrow(expect.objectContaining({ code: 'unknown_preset', hint: expect.stringContaining('quick-sandbox') }));
    expect(() => catalog.get(undefined)).toThrow(/missing/);
  });
  it('fails clearly on an invalid catalog, naming each problem', () => {
    const tools = { a: { name: 'A', image: 'a/a:1', port: 80, memoryMb: 128 } };
    const preset = { id: 'p', name: 'P', tools: ['a'], defaultTtl: '8h', maxTtl: '1h', approval: 'required', instanceSize: 't3.small', hourlyCostUsd: 1 };
    expect(() => parseCatalog({ tools, presets: [preset] })).toThrow(/presets\.0\.defaultTtl: is longer than maxTtl/);
    expect(() => parseCatalog({ tools, presets: [{ ...preset, maxTtl: '8h', tools: ['b'] }] })).toThrow(/unknown tool "b"/);
    expect(() => parseCatalog({ tools, presets: [{ ...preset, maxTtl: '8h' }, { ...preset, maxTtl: '8h' }] })).toThrow(/duplicate preset id p/);
    expect(() => parseCatalog({ tools: { a: { ...tools.a, image: 'a/a' } }, presets: [{ ...preset, maxTtl: '8h' }] })).toThrow(/pinned tag/);
    expect(() => parseCatalog({ tools, presets: [{ ...preset, maxTtl: 'forever' }] })).toThrow(/maxTtl/);
    expect(() => loadCatalog('/nonexistent/presets.json')).toThrow(/Cannot read the presets catalog/);
  });
});
