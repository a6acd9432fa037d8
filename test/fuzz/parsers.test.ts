import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs, splitSubcommand, tokenize, type FlagSpec } from '../../commands/args.js';
import { parseAuditFilters } from '../../commands/audit-export-args.js';
import { parseDestroyArgs } from '../../commands/env-destroy.js';
import { parseExtendArgs } from '../../commands/env-extend.js';
import { parseListArgs } from '../../commands/env-list.js';
import { parsePresetsArgs } from '../../commands/env-presets.js';
import { parseRequestArgs } from '../../commands/env-request.js';
import { parsePersonArgs } from '../../commands/team.js';
import { TEAM_USAGE } from '../../commands/usage.js';
import { parseStatusArgs } from '../../commands/env-status.js';
import { MAX_DURATION_SECONDS, parseDuration, parseDurationList } from '../../src/domain/durations.js';
import { ENV_ID_PATTERN, parseEnvId } from '../../src/domain/ids.js';
import { MAX_NAME_LENGTH, parseEnvironmentName } from '../../src/domain/environment-name.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { AppError, outcomeOf } from '../../src/errors.js';
import { anyText, RUNS } from '../support/arbitraries.js';

/**
 * Every parser of user text, fed random text, unicode, injection strings and 10 KB strings: it returns a value or
 * refuses with an AppError whose outcome is `invalid` and whose message is short enough to show; nothing else ever
 * comes out.
 */
const catalog = loadCatalog();
const now = new Date('2026-03-01T12:00:00Z');
const ALICE = { id: 'U0ALICE', name: 'alice', bot: false };

/** Runs `parse`; a thrown AppError must be a proper refusal of bad input. Anything else thrown fails the property. */
async function refusesOnlyWithAppError<T>(parse: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await parse();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect(outcomeOf(error)).toBe('invalid');
    expect(error.message.length).toBeGreaterThan(0);
    // A refusal quotes what was wrong, clipped: never the 10 KB back.
    expect(error.message.length).toBeLessThan(1500);
    expect((error.hint ?? '').length).toBeLessThan(2000);
    return undefined;
  }
}

function property(name: string, check: (text: string) => Promise<void>, numRuns: number = RUNS.parser) {
  it(name, async () => {
    await fc.assert(fc.asyncProperty(anyText(), check), { numRuns });
  });
}

const SPEC: FlagSpec = { ttl: { kind: 'value', example: '8h' }, name: { kind: 'value' }, all: { kind: 'boolean' } };

describe('fuzzing the command parsers: only AppError comes out', () => {
  property('tokenize and parseArgs', async (text) => {
    const tokens = await refusesOnlyWithAppError(() => tokenize(text));
    for (const token of tokens ?? []) expect(token.text.length).toBeLessThanOrEqual(text.length);
    const parsed = await refusesOnlyWithAppError(() => parseArgs(text, SPEC));
    if (parsed) for (const name of parsed.flags.keys()) expect(Object.keys(SPEC)).toContain(name);
  });

  property('splitSubcommand', async (text) => {
    const split = await refusesOnlyWithAppError(() => splitSubcommand(text));
    if (split) expect(split.word).not.toMatch(/\s/u);
  });

  property('each /env sub-command parser', async (text) => {
    const request = await refusesOnlyWithAppError(() => parseRequestArgs(text, { catalog, minTtlSeconds: 15 * 60 }));
    if (request?.ttlSeconds !== undefined) {
      expect(request.ttlSeconds).toBeGreaterThanOrEqual(15 * 60);
      expect(request.ttlSeconds).toBeLessThanOrEqual(request.preset.maxTtlSeconds);
    }
    if (request?.name !== undefined) expect([...request.name].length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    const extend = await refusesOnlyWithAppError(() => parseExtendArgs(text));
    if (extend) expect(extend.envId).toMatch(ENV_ID_PATTERN);
    for (const parse of [parseDestroyArgs, parseStatusArgs]) {
      const parsed = await refusesOnlyWithAppError(() => parse(text));
      if (parsed) expect(parsed.envId).toMatch(ENV_ID_PATTERN);
    }
    await refusesOnlyWithAppError(() => parseListArgs(text));
    await refusesOnlyWithAppError(() => parsePresetsArgs(text));
    for (const [line, role] of [[TEAM_USAGE.role, 'required'], [TEAM_USAGE.invite, 'optional'], [TEAM_USAGE.remove, 'none']] as const) {
      const person = await refusesOnlyWithAppError(() => parsePersonArgs(text, [ALICE], line, role));
      if (person) expect(person.target).toBe(ALICE);
    }
  });

  property('the /audit export filters', async (text) => {
    const filters = await refusesOnlyWithAppError(() => parseAuditFilters(text, { now, mentions: [ALICE] }));
    if (filters) expect(filters.from.getTime()).toBeLessThanOrEqual(filters.to.getTime());
  });

  property('durations, duration lists, environment ids and lab names', async (text) => {
    const seconds = await refusesOnlyWithAppError(() => parseDuration(text));
    if (seconds !== undefined) {
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(MAX_DURATION_SECONDS);
    }
    await refusesOnlyWithAppError(() => parseDurationList(text));
    const envId = await refusesOnlyWithAppError(() => parseEnvId(text));
    if (envId !== undefined) expect(envId).toMatch(ENV_ID_PATTERN);
    const name = await refusesOnlyWithAppError(() => parseEnvironmentName(text));
    if (name !== undefined) expect(name).not.toMatch(/[<>&@`|]/u);
  });
});
