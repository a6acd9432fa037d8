import { createTestDatabase } from '../../test/support/database.js';
import { startPrivateRedis } from '../../test/support/redis-server.js';
import { measureBareJobs, measurePipeline, redisCommands } from './measure.js';
const labs = Number(process.env.LABS ?? 500);
const sets = Number(process.env.SETS ?? 1);
const runs = Number(process.env.RUNS ?? 1);
const redis = await startPrivateRedis();
const database = await createTestDatabase();
try {
  let firstIndex = 0;
  for (let r = 0; r < runs; r++) {
    const before = await redisCommands(redis.url);
    const bare = process.env.NOBARE ? 0 : await measureBareJobs({ labs, workerSets: sets, approvalsInFlight: 10, redisUrl: redis.url, concurrency: 4 });
    const bareCmds = ((await redisCommands(redis.url)) - before) / labs;
    const f = await measurePipeline(database, { labs, workerSets: sets, approvalsInFlight: 10, redisUrl: redis.url, firstIndex });
    firstIndex += labs;
    console.log(JSON.stringify({ ...f, bare, bareCmds }));
  }
} finally {
  await database.drop();
  await redis.stop();
}
