import { DrizzleQueryError } from 'drizzle-orm/errors';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeFailure, postgresErrorIn } from '../../src/db/postgres-error.js';

/** A server error as node-postgres builds it from Postgres's ErrorResponse. */
function serverError(fields: { code: string; message: string; detail?: string; hint?: string }): pg.DatabaseError {
  const error = new pg.DatabaseError(fields.message, 100, 'error');
  return Object.assign(error, { severity: 'ERROR', code: fields.code, detail: fields.detail, hint: fields.hint });
}

const RACE = serverError({
  code: '23505',
  message: 'duplicate key value violates unique constraint "pg_namespace_nspname_index"',
  detail: 'Key (nspname)=(drizzle) already exists.',
});

describe('describeFailure', () => {
  it('shows a failed query as its statement with the Postgres code, message and detail, not its parameters', () => {
    const failed = new DrizzleQueryError('CREATE SCHEMA IF NOT EXISTS "drizzle"', ['a parameter value'], RACE);
    expect(describeFailure(failed)).toBe(
      'Failed query: CREATE SCHEMA IF NOT EXISTS "drizzle" (Postgres error 23505: duplicate key value violates unique constraint ' +
        '"pg_namespace_nspname_index"; detail: Key (nspname)=(drizzle) already exists.)',
    );
    expect(describeFailure(failed)).not.toContain('a parameter value');
  });

  it('keeps a long multi-line statement to one shortened line', () => {
    const statement = `\n\t\t\tCREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (\n\t\t\t\tid SERIAL PRIMARY KEY,\n${'\t\t\t\thash text NOT NULL,\n'.repeat(10)})`;
    const described = describeFailure(new DrizzleQueryError(statement, [], RACE));
    expect(described).not.toContain('\n');
    expect(described).toMatch(/^Failed query: CREATE TABLE IF NOT EXISTS "drizzle"\."__drizzle_migrations" \( id SERIAL PRIMARY KEY, hash text NOT NULL, .{1,80}… \(Postgres error 23505: /);
  });

  it('shows a bare Postgres error with its code and hint', () => {
    const error = serverError({ code: '42P07', message: 'relation "environments" already exists', hint: 'Drop it first.' });
    expect(describeFailure(error)).toBe('Postgres error 42P07: relation "environments" already exists; hint: Drop it first.');
  });

  it('finds the Postgres error deeper in the chain of causes', () => {
    const wrapped = new Error('role bootstrap failed', { cause: new DrizzleQueryError('insert into "members" ...', [], RACE) });
    expect(postgresErrorIn(wrapped)).toMatchObject({ code: '23505', detail: 'Key (nspname)=(drizzle) already exists.' });
    expect(describeFailure(wrapped)).toMatch(/^role bootstrap failed \(Postgres error 23505: .*; detail: Key \(nspname\)=\(drizzle\) already exists\.\)$/);
  });

  it('leaves other errors as they are, including a socket error code that is no SQLSTATE', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(postgresErrorIn(refused)).toBeUndefined();
    expect(describeFailure(refused)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeFailure('plain text')).toBe('plain text');
    expect(describeFailure(new Error('Invalid presets catalog:\n  - a\n  - b'))).toBe('Invalid presets catalog:\n  - a\n  - b');
  });

  it('survives a cycle of causes', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    first.cause = second;
    expect(describeFailure(first)).toBe('first');
  });
});
