import { Redis } from 'ioredis';
import { apiDoor } from '../../src/api/door.js';
import { chatActor, type KeyScope } from '../../src/domain/actor.js';
import type { UserRef } from '../../src/domain/users.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { createApiKey } from '../../workflows/api-keys.js';
import { createTestServices, TEST_REDIS_URL, type TestServices, type TestServicesOptions } from './services.js';

/** The API door on a real HTTP server over test Services (Postgres, Redis), with every log line kept for scans. */

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body read as JSON, when it is JSON. */
  json: unknown;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  /** A raw body, sent as it is (with `contentType`). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export class ApiHarness {
  /** Every log line written, at trace level. */
  readonly logLines: string[] = [];
  /** Every route the API door registered, as `METHOD url`. */
  readonly routes: string[] = [];
  private keyCount = 0;

  private constructor(
    readonly t: TestServices,
    readonly servers: HttpServer[],
    readonly bases: string[],
    readonly redis: Redis,
  ) {}

  /** `servers`: how many web processes share the database and Redis (each is a server of its own). */
  static async start(options: TestServicesOptions & { servers?: number } = {}): Promise<ApiHarness> {
    const t = await createTestServices(options);
    const redis = new Redis(TEST_REDIS_URL);
    const servers: HttpServer[] = [];
    const bases: string[] = [];
    const harness = new ApiHarness(t, servers, bases, redis);
    t.s.log = createLogger('trace', { write: (line: string) => void harness.logLines.push(line) });
    for (let index = 0; index < (options.servers ?? 1); index += 1) {
      const http = createHttpServer({ log: t.s.log });
      if (index === 0) {
        http.app.addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) if (method !== 'HEAD') harness.routes.push(`${method} ${route.url}`);
        });
      }
      http.register(apiDoor({ s: t.s, redis }));
      const { port } = await http.listen(0, '127.0.0.1');
      servers.push(http);
      bases.push(`http://127.0.0.1:${port}`);
    }
    return harness;
  }

  get base(): string {
    return this.bases[0]!;
  }

  /** Creates a key for `user` as `/apikey create` does; returns the key. */
  async keyFor(user: UserRef, scope: KeyScope, name = `key-${(this.keyCount += 1)}`): Promise<string> {
    const created = await createApiKey(this.t.s, { actor: chatActor(user), name, scope, lifetimeSeconds: 30 * 86_400, requestId: `create-${name}` });
    return created.key;
  }

  async call(method: string, path: string, options: CallOptions = {}, server = 0): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${this.bases[server]}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  async close(): Promise<void> {
    for (const server of this.servers) await server.close();
    this.redis.disconnect();
    await this.t.close();
  }
}
