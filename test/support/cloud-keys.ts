import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { createLogger, type Logger } from '../../src/log.js';

/** Key pairs in AWS's shapes, made fresh for each test run so a match in a log or a table cannot be a coincidence. */
export interface TestPair {
  accessKeyId: string;
  secretAccessKey: string;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64ISH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+';

function pick(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export function newPair(): TestPair {
  return { accessKeyId: `AKIA${pick(UPPER, 16)}`, secretAccessKey: pick(BASE64ISH, 40) };
}

/** A fresh key-encryption key, as `openssl rand -base64 32` makes one. */
export function newCredentialsKey(): string {
  return randomBytes(32).toString('base64');
}

/** A logger at `level` whose lines are kept, to search them. */
export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}

/** Every row of every table of the public schema (and drizzle's), as text: what a copy of the database would show. */
export async function everyTableAsText(db: Db): Promise<string> {
  const tables = await db.execute<{ schema: string; name: string }>(
    sql`select table_schema as schema, table_name as name from information_schema.tables where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { schema, name } of tables.rows) {
    const rows = await db.execute<{ row: string }>(sql`select t::text as row from ${sql.identifier(schema)}.${sql.identifier(name)} t`);
    parts.push(`${schema}.${name}:`, ...rows.rows.map((row) => row.row));
  }
  return parts.join('\n');
}
