/** What a Postgres server error carries besides its message (node-postgres copies the protocol's fields). */
export interface PostgresErrorFields {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const STATEMENT_SHOWN = 160;

/** The Postgres server error in `error` or its chain of causes (drizzle wraps it in "Failed query: ..."). */
export function postgresErrorIn(error: unknown): PostgresErrorFields | undefined {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const fields = current as Error & { code?: unknown; detail?: unknown; hint?: unknown; severity?: unknown };
    if (typeof fields.code === 'string' && SQLSTATE.test(fields.code) && typeof fields.severity === 'string') {
      return {
        code: fields.code,
        message: current.message,
        detail: typeof fields.detail === 'string' ? fields.detail : undefined,
        hint: typeof fields.hint === 'string' ? fields.hint : undefined,
      };
    }
  }
  return undefined;
}

/**
 * Why something failed, for a person: the error's message and, when Postgres refused a statement, the server's code,
 * message, detail and hint on the same line. A failed drizzle query is shown as its statement, shortened and without
 * its parameters. Callers strip credentials.
 */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const postgres = postgresErrorIn(error);
  if (!postgres) return message;
  const cause = [
    `Postgres error ${postgres.code}: ${oneLine(postgres.message)}`,
    ...(postgres.detail ? [`detail: ${oneLine(postgres.detail)}`] : []),
    ...(postgres.hint ? [`hint: ${oneLine(postgres.hint)}`] : []),
  ].join('; ');
  if (postgres.message === message) return cause;
  // drizzle's "Failed query: <sql>\nparams: <values>": the statement says where; the values are left out.
  const query = (error as { query?: unknown }).query;
  const own = typeof query === 'string' ? shortened(`Failed query: ${oneLine(query)}`) : message;
  return `${own} (${cause})`;
}

function shortened(text: string): string {
  return text.length > STATEMENT_SHOWN ? `${text.slice(0, STATEMENT_SHOWN)}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
