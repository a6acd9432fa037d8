import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environments } from '../../src/db/schema/environments.js';
import { ApiHarness, type ApiAnswer } from '../support/api-harness.js';
import { eventually, USERS } from '../support/services.js';

/**
 * The OpenAPI document is the contract: every route of the API is in it, and every route answers, with a key of each
 * kind and with none, a status the document lists, in the content type it names, with a body its schema accepts.
 */
interface MediaType {
  schema?: object;
}
interface Operation {
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** Valid values for the fields of request bodies; a field the document gains without a value here fails the walk. */
const BODY_EXAMPLES: Record<string, unknown> = { preset: 'quick-sandbox', ttl: '1h', name: 'contract lab', by: '1h', reason: 'contract check' };

let h: ApiHarness;
let doc: Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const keys = {} as Record<'admin' | 'adminRead' | 'member' | 'owner', string>;

beforeAll(async () => {
  h = await ApiHarness.start({ settings: { API_RATE_LIMIT: '1000', MAX_ACTIVE_PER_USER: '50' } });
  await h.t.startWorkers();
  keys.admin = await h.keyFor(USERS.admin, 'write');
  keys.adminRead = await h.keyFor(USERS.admin, 'read');
  keys.member = await h.keyFor(USERS.bob, 'write');
  keys.owner = await h.keyFor(USERS.alice, 'write');
  const answer = await h.call('GET', '/api/v1/openapi.json');
  expect(answer.status).toBe(200);
  doc = answer.json as Document;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function lab(state: 'pending_approval' | 'running'): Promise<string> {
  const preset = state === 'running' ? 'quick-sandbox' : 'soc-platform';
  const answer = await h.call('POST', '/api/v1/environments', { key: keys.owner, body: { preset } });
  const id = (answer.json as { id: string }).id;
  if (state === 'running') {
    await eventually(async () => {
      const [row] = await h.t.s.db.select().from(environments).where(eq(environments.id, id));
      return row?.state === 'running' ? row : undefined;
    }, 20_000, `${id} running`);
  }
  return id;
}

/** A lab the operation can act on: running ones for extend and destroy, pending plans for the rest. */
function labStateFor(path: string): 'pending_approval' | 'running' {
  return /\/(extend|destroy)$/.test(path) ? 'running' : 'pending_approval';
}

function exampleBody(operation: Operation): unknown {
  const schema = operation.requestBody?.content['application/json']?.schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  if (!schema?.properties) return undefined;
  const body: Record<string, unknown> = {};
  for (const field of Object.keys(schema.properties)) {
    expect(Object.keys(BODY_EXAMPLES), `an example value for body field "${field}"`).toContain(field);
    if (schema.required?.includes(field) || field === 'ttl') body[field] = BODY_EXAMPLES[field];
  }
  return body;
}

function checkAgainstDocument(where: string, operation: Operation, answer: ApiAnswer): void {
  const documented = operation.responses[String(answer.status)];
  expect(documented, `${where} answered ${answer.status}, which the document does not list (${answer.text.slice(0, 300)})`).toBeDefined();
  const [mediaType, media] = Object.entries(documented!.content ?? {})[0] ?? [];
  expect(mediaType, `${where}: the document names a content type for ${answer.status}`).toBeDefined();
  expect(answer.headers.get('content-type')?.split(';')[0], `${where} ${answer.status}`).toBe(mediaType);
  if (mediaType === 'text/csv') {
    expect(typeof answer.text).toBe('string');
    return;
  }
  const validate = ajv.compile(media!.schema ?? {});
  const valid = validate(answer.json);
  expect(valid, `${where} ${answer.status}: ${ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 300)}`).toBe(true);
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every route of the API, each with the bearer scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const registered = h.routes.filter((route) => route !== 'GET /api/v1/openapi.json');
    expect([...documented].sort()).toEqual([...registered].sort());
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        for (const status of ['401', '403', '422', '429']) expect(Object.keys(operation.responses), `${method} ${path}`).toContain(status);
      }
    }
  });

  it('describes what every route answers: with an admin key, a read key, a member key and no key', async () => {
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const key of [keys.admin, keys.adminRead, keys.member, undefined]) {
          const url = path.includes('{id}') ? path.replace('{id}', await lab(labStateFor(path))) : path;
          const body = exampleBody(operation);
          const answer = await h.call(method.toUpperCase(), url, { ...(key ? { key } : {}), ...(body !== undefined ? { body } : {}) });
          checkAgainstDocument(`${method.toUpperCase()} ${url} (${key === keys.admin ? 'admin' : key === keys.adminRead ? 'read key' : key ? 'member' : 'no key'})`, operation, answer);
          if (key === keys.admin) expect(answer.status, `${method} ${path} with an admin key: ${answer.text.slice(0, 200)}`).toBeLessThan(300);
          if (key === undefined) expect(answer.status).toBe(401);
          checked += 1;
        }
      }
    }
    expect(checked).toBe(4 * 12);
  });
});
