import { Redis } from 'ioredis';
import { createTestDatabase } from '../../test/support/database.js';
import { startPrivateRedis } from '../../test/support/redis-server.js';
import { measurePipeline } from './measure.js';
const labs = Number(process.env.LABS ?? 300);
const redis = await startPrivateRedis();
const database = await createTestDatabase();
const stats = async () => { const c = new Redis(redis.url); const info = await c.info('commandstats'); c.disconnect(); return new Map([...info.matchAll(/cmdstat_(\S+?):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])])); };
try {
  const before = await stats();
  const f = await measurePipeline(database, { labs, workerSets: 1, approvalsInFlight: 10, redisUrl: redis.url, firstIndex: 0 });
  const after = await stats();
  console.log(JSON.stringify(f));
  const rows = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / labs] as const).filter(([, v]) => v > 0.05).sort((a, b) => b[1] - a[1]);
  for (const [k, v] of rows) console.log(k.padEnd(24), v.toFixed(2));
} finally {
  await database.drop();
  await redis.stop();
}
