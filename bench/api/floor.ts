import type { AddressInfo } from 'node:net';
import { and, desc, eq } from 'drizzle-orm';
import { fastify } from 'fastify';
import { appendAudit } from '../../src/audit/append.js';
import { systemClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/client.js';
import { environments } from '../../src/db/schema/environments.js';
import { startServerProcess, type ServerProcess } from '../framework/helper-process.js';

export interface ApiFloorSpec {
  databaseUrl: string;
  owner: { platform: 'slack'; id: string };
}

export interface ApiFloor {
  url: string;
  stop(): Promise<void>;
}

/**
 * The work floor of `GET /api/v1/environments`: a bare Fastify route, on a Postgres pool of the same size, that runs
 * the same query (the owner's labs, newest first, at most 100) and one INSERT (an audit entry, sealed into the chain as
 * every entry is), and answers the rows as JSON. No key check, no role, no rate limit, no schema: what the API adds on
 * top is what the bench measures.
 */
export async function startApiFloor(spec: ApiFloorSpec): Promise<ApiFloor> {
  const database = connectDatabase(spec.databaseUrl);
  const app = fastify({ logger: false });
  app.get('/floor/environments', async (request) => {
    const rows = await database.db
      .select()
      .from(environments)
      .where(and(eq(environments.platform, spec.owner.platform), eq(environments.ownerId, spec.owner.id)))
      .orderBy(desc(environments.requestedAt))
      .limit(100);
    await appendAudit(database.db, systemClock, {
      eventType: 'api.request',
      actor: { type: 'api_key', id: 'aitz_floor000', name: 'floor' },
      platform: 'slack',
      outcome: 'ok',
      requestId: request.id,
      details: { method: 'GET', route: '/floor/environments', status: 200 },
    });
    return { environments: rows };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/floor/environments`,
    async stop() {
      await app.close();
      await database.close();
    },
  };
}

/** The floor in a process of its own, so it shares neither heap nor event loop with the bot it is compared with. */
export function startApiFloorProcess(spec: ApiFloorSpec): Promise<ServerProcess> {
  return startServerProcess(new URL('./floor-process.ts', import.meta.url), spec);
}
