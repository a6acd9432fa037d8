import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from './problems.js';
import { SECURITY_SCHEME } from './routes/security.js';

/** The OpenAPI 3.1 document of the API, from the one @fastify/swagger builds out of the routes' zod schemas. */

interface Operation {
  responses?: Record<string, { content?: Record<string, unknown>; description?: string }>;
  [field: string]: unknown;
}
type PathItem = Record<string, Operation>;
interface Document {
  openapi?: string;
  info?: Record<string, unknown>;
  paths?: Record<string, PathItem>;
  components?: Record<string, unknown>;
  [field: string]: unknown;
}

const CSV = 'text/csv';

/**
 * The API's part of the server's document: its paths only, a bearer security scheme for `aitz_…` keys, refusals as
 * problem+json, and the CSV export as text/csv.
 */
export function apiDocument(whole: unknown, prefix: string): Document {
  const source = whole as Document;
  const paths: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries(source.paths ?? {})) {
    if (!path.startsWith(`${prefix}/`)) continue;
    const operations: PathItem = {};
    for (const [method, operation] of Object.entries(item)) {
      const responses: NonNullable<Operation['responses']> = {};
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const schema = Object.values(response.content ?? {})[0] as { schema?: unknown } | undefined;
        const type = Number(status) >= 400 ? PROBLEM_CONTENT_TYPE : path.endsWith('.csv') ? CSV : 'application/json';
        const csvSchema = { type: 'string', description: (schema?.schema as { description?: string } | undefined)?.description ?? 'CSV' };
        responses[status] = {
          ...response,
          description: Number(status) >= 400 ? `${STATUS_CODES[Number(status)] ?? 'Refused'}: a problem (RFC 9457)` : (response.description ?? 'answer'),
          content: { [type]: { schema: type === CSV ? csvSchema : (schema?.schema ?? {}) } },
        };
      }
      operations[method] = { ...operation, responses };
    }
    paths[path] = operations;
  }
  return {
    openapi: source.openapi ?? '3.1.0',
    info: {
      title: 'Aithroyz ChatOps API',
      version: '1',
      description: 'Labs and the audit log for scripts, CI pipelines and SIEMs. Send an API key (`/apikey create` in chat) as `Authorization: Bearer aitz_…`.',
    },
    paths,
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API key, `aitz_` and 40 letters or digits' },
      },
    },
  };
}
