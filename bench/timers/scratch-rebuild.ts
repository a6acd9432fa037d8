import { startPrivateRedis } from '../../test/support/redis-server.js';
import { openRebuildFixture } from './rebuild.js';
const redis = await startPrivateRedis();
const f = await openRebuildFixture(redis, 10_000, '1h,15m');
try { for (let i = 0; i < 3; i++) console.log(JSON.stringify(await f.measure())); } finally { await f.close(); await redis.stop(); }
