import { describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../../src/audit/events.js';
import {
  allEventTypes,
  describeFilters,
  filtersFromPayload,
  filtersToPayload,
  type AuditFilters,
} from '../../src/audit/filters.js';
import { parseAuditFilters } from '../../commands/audit-export-args.js';
import { AppError } from '../../src/errors.js';

const now = new Date('2026-11-26T12:34:56.789Z');
/** The users the door resolved in the command: their mention tokens name them. */
const MENTIONS = [
  { id: 'U123ABC', name: 'alice', bot: false },
  { id: 'W9', name: 'Alice Smith', bot: false },
  { id: 'U1', name: 'al', bot: false },
];
const parse = async (text: string): Promise<AuditFilters> => parseAuditFilters(text, { now, mentions: MENTIONS });

async function refusal(text: string): Promise<AppError> {
  const error: unknown = await parse(text).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AppError)) throw new Error(`expected "${text}" to be refused, got ${String(error)}`);
  expect(error.code).toBe('invalid_filter');
  return error;
}

describe('parseAuditFilters: defaults', () => {
  it('exports the last 7 days up to now, every type, every actor', async () => {
    expect(await parse('')).toEqual({ from: new Date('2026-11-19T12:34:56.789Z'), to: now, types: [] });
    expect(await parse('   ')).toEqual(await parse(''));
  });

  it('takes the 7 days before --to when only --to is given, and up to now when only --from is', async () => {
    expect(await parse('--to 2026-11-10')).toMatchObject({
      from: new Date('2026-11-03T23:59:59.999Z'),
      to: new Date('2026-11-10T23:59:59.999Z'),
    });
    expect(await parse('--from 2026-01-01')).toMatchObject({ from: new Date('2026-01-01T00:00:00.000Z'), to: now });
  });
});

describe('parseAuditFilters: dates', () => {
  it('reads dates as whole UTC days, inclusive at both ends', async () => {
    const filters = await parse('--from 2026-11-01 --to 2026-11-26');
    expect(filters.from.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(filters.to.toISOString()).toBe('2026-11-26T23:59:59.999Z');
  });

  it('makes --to of a day include its last millisecond, 23:59:59.999 UTC, and nothing after', async () => {
    const { to } = await parse('--from 2026-11-26 --to 2026-11-26');
    expect(to.getTime()).toBe(Date.parse('2026-11-26T23:59:59.999Z'));
    expect(to.getTime()).toBeLessThan(Date.parse('2026-11-27T00:00:00.000Z'));
  });

  it('reads ISO times, with or without a zone, to the precision written', async () => {
    expect(await parse('--from 2026-11-20T08:30:00Z --to 2026-11-21T10:00')).toMatchObject({
      from: new Date('2026-11-20T08:30:00.000Z'),
      to: new Date('2026-11-21T10:00:59.999Z'),
    });
    expect((await parse('--from 2026-11-20T08:30:15+02:00')).from.toISOString()).toBe('2026-11-20T06:30:15.000Z');
    expect((await parse('--to 2026-11-21T10:00:00.5Z')).to.toISOString()).toBe('2026-11-21T10:00:00.500Z');
    expect((await parse('--to 2026-11-21T10:00:07')).to.toISOString()).toBe('2026-11-21T10:00:07.999Z');
    expect((await parse('--from=2026-11-20 --to=2026-11-21')).from.toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it.each([
    ['--from yesterday', /--from "yesterday" is not a date or time/],
    ['--from 2026-02-30', /--from "2026-02-30" is not a date/],
    ['--to 2026-13-01', /--to "2026-13-01" is not a date/],
    ['--to 2026-11-26T24:00', /--to "2026-11-26T24:00"/],
    ['--from 26/11/2026', /is not a date/],
    ['--from 2026-11-26T10:00+15:00', /is not a date/],
    ['--from 1700000000', /is not a date/],
  ])('refuses %s', async (text, message) => {
    const error = await refusal(text);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/2026-11-26T10:00:00Z/);
  });

  it('refuses --from after --to, and accepts them equal', async () => {
    const error = await refusal('--from 2026-11-27 --to 2026-11-26');
    expect(error.message).toBe('--from (2026-11-27T00:00:00.000Z) is after --to (2026-11-26T23:59:59.999Z).');
    await expect(refusal('--from 2026-12-01')).resolves.toMatchObject({ message: /--from .* is after --to/ });
    expect(await parse('--from 2026-11-26T10:00:00.000Z --to 2026-11-26T10:00:00.000Z')).toMatchObject({
      from: new Date('2026-11-26T10:00:00.000Z'),
      to: new Date('2026-11-26T10:00:00.000Z'),
    });
  });
});

describe('parseAuditFilters: types', () => {
  it('expands a category into its events', async () => {
    expect((await parse('--type environments')).types).toEqual([...AUDIT_EVENTS.environments]);
  });

  it('takes exact events and mixes, comma-separated, case-insensitive, without duplicates, in the order of the event list', async () => {
    expect((await parse('--type deployment.failed')).types).toEqual(['deployment.failed']);
    expect((await parse('--type Audit,deployment.failed, command.invoked,audit.exported')).types).toEqual([
      'command.invoked',
      'deployment.failed',
      ...AUDIT_EVENTS.audit,
    ]);
  });

  it('refuses unknown types and lists the valid categories and events', async () => {
    const error = await refusal('--type environments,deployment.exploded,bogus');
    expect(error.message).toMatch(/^Unknown audit types "deployment.exploded", "bogus"\./);
    for (const category of Object.keys(AUDIT_EVENTS)) expect(error.message).toContain(category);
    for (const event of allEventTypes()) expect(error.message).toContain(event);
  });

  it('refuses an empty type list', async () => {
    expect((await refusal('--type ,')).message).toMatch(/--type needs at least one category or event/);
  });
});

describe('parseAuditFilters: actor', () => {
  it.each([
    ['<@U123ABC|alice>', 'U123ABC'],
    ['<@W9|Alice Smith>', 'W9'],
    ['U123ABC', 'U123ABC'],
    ['kq4xj8m5utbnmxr7pgc9w1yzeh', 'kq4xj8m5utbnmxr7pgc9w1yzeh'],
    ['worker', 'worker'],
  ])('reads %s as %s', async (actor, id) => {
    expect((await parse(`--actor ${actor}`)).actorId).toBe(id);
  });

  it('refuses mentions the door did not resolve: @names, typed tokens, platform syntax', async () => {
    for (const [actor, shown] of [['@bob', '@bob'], ['<@U9|mallory>', '@mallory'], ['<@U123ABC>', '<@U123ABC>']] as const) {
      const error = await refusal(`--actor ${actor}`);
      expect(error.message).toBe(`${shown} is not someone this chat knows.`);
      expect(error.hint).toMatch(/type @ and pick them from the list/);
    }
  });

  it.each(['<@>', '<#C123|general>', 'alice;drop', '"a b"'])('refuses %s', async (actor) => {
    expect((await refusal(`--actor ${actor}`)).message).toMatch(/is not a user|is not someone this chat knows|Unexpected/);
  });
});

describe('parseAuditFilters: the command line', () => {
  it('combines every flag in any order', async () => {
    expect(await parse('--actor <@U1|al> --type team --to 2026-11-26 --from 2026-11-20')).toEqual({
      from: new Date('2026-11-20T00:00:00.000Z'),
      to: new Date('2026-11-26T23:59:59.999Z'),
      types: [...AUDIT_EVENTS.team],
      actorId: 'U1',
    });
  });

  it.each([
    ['--since 2026-11-01', /^Unknown option --since\. Options: --from, --to, --type, --actor\.$/],
    ['--from 2026-11-01 --from 2026-11-02', /^--from is given twice/],
    ['--type team --type audit', /^--type is given twice.*comma-separated/],
    ['--from', /^--from needs a value\.$/],
    ['--from --to 2026-11-02', /^--from needs a value\.$/],
    ['--to=', /^--to needs a value\.$/],
    ['2026-11-01', /^Unexpected "2026-11-01"/],
    ['--type team extra', /^Unexpected "extra"/],
  ])('refuses %s', async (text, message) => {
    const error = await refusal(text);
    expect(error.message).toMatch(message);
  });

  it('refuses with a usage hint', async () => {
    expect((await refusal('--nope 1')).hint).toMatch(/^Usage: `\/audit export \[--from/);
  });
});

describe('describeFilters and the job payload', () => {
  it('says the span, the types (whole categories by name) and the actor', async () => {
    expect(describeFilters(await parse(''))).toBe('2026-11-19 12:34:56.789 UTC to 2026-11-26 12:34:56.789 UTC · all types');
    const filters = await parse('--from 2026-11-20 --to 2026-11-26 --type environments,audit.exported --actor U1');
    expect(describeFilters(filters)).toBe(
      '2026-11-20 00:00:00 UTC to 2026-11-26 23:59:59.999 UTC · types: environments, audit.exported · actor: U1',
    );
  });

  it('round-trips through the job payload and refuses unknown types coming back', async () => {
    const filters = await parse('--from 2026-11-20 --type team --actor U9');
    const payload = filtersToPayload(filters);
    expect(payload).toEqual({ from: '2026-11-20T00:00:00.000Z', to: now.toISOString(), types: [...AUDIT_EVENTS.team], actorId: 'U9' });
    expect(filtersFromPayload(payload)).toEqual(filters);
    expect(() => filtersFromPayload({ ...payload, types: ['member.invited', 'nope'] })).toThrow(/Unknown audit event types.*nope/);
  });
});
