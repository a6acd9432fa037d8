import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';

/**
 * The server is ready for a REST API door: zod schemas validate and type its routes, a refused request gets the
 * server's JSON shape, and tagged routes make up an OpenAPI 3.1 document; untagged ones (chat, health) stay out.
 */
let current: HttpServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

function serverWithApiDoor(): HttpServer {
  const http = createHttpServer({ log: silentLogger });
  http.register(async (door) => {
    door.get(
      '/api/v1/labs/:id',
      {
        schema: {
          tags: ['labs'],
          params: z.object({ id: z.string().regex(/^env-[a-z0-9]{6}$/) }),
          querystring: z.object({ verbose: z.coerce.boolean().default(false) }),
          response: { 200: z.object({ id: z.string(), verbose: z.boolean() }) },
        },
      },
      async (request) => ({ id: request.params.id, verbose: request.query.verbose }),
    );
    door.get('/untagged', async () => ({ hidden: true }));
  });
  current = http;
  return http;
}

describe('schemas and the OpenAPI document', () => {
  it('validates with zod and answers a refused request in the JSON shape of every refusal', async () => {
    const http = serverWithApiDoor();
    const { port } = await http.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/api/v1/labs/env-7k2p9q?verbose=1`)).json()).toEqual({ id: 'env-7k2p9q', verbose: true });
    const refused = await fetch(`${base}/api/v1/labs/not-a-lab`);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: string; message: string; requestId: string };
    expect(body.error).toBe('bad_request');
    expect(body.message).toContain('params/id');
    expect(body.requestId).toBe(refused.headers.get('x-request-id'));
  });

  it('describes tagged routes in an OpenAPI 3.1 document, from their zod schemas', async () => {
    const http = serverWithApiDoor();
    await http.app.ready();
    const document = http.app.swagger() as { openapi: string; paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/v1/labs/{id}']);
    const parameters = document.paths['/api/v1/labs/{id}']?.get?.parameters ?? [];
    expect(parameters.map((parameter) => `${parameter.in}:${parameter.name}`).sort()).toEqual(['path:id', 'query:verbose']);
  });
});
