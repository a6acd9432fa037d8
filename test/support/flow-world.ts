import { startChatWorld, type ChatWorld, type ChatWorldOptions, type WorldPlatform } from '../fakes/chat-world.js';
import { createTestDatabase } from './database.js';
import { Flow } from './flows.js';
import { uniquePrefix } from './redis.js';
import { deleteKeys, FAST_RETRIES, TEST_REDIS_URL } from './services.js';

/** A chat world of the end-to-end flow tests, with the database and the Redis prefix it owns. */
export interface FlowWorld {
  world: ChatWorld;
  flow: Flow;
  /** Stops the bot and the fake platform, deletes the Redis keys and drops the database. */
  close(): Promise<void>;
}

/**
 * The real app behind the fake `platform`, on a database and a BullMQ prefix of its own (`name` tells the prefixes of
 * test files apart), with the fast retries of the test suite unless `options` says otherwise.
 */
export async function openFlowWorld(
  platform: WorldPlatform,
  name: string,
  options: Omit<ChatWorldOptions, 'databaseUrl' | 'redisUrl' | 'queuePrefix'>,
): Promise<FlowWorld> {
  const database = await createTestDatabase();
  const prefix = uniquePrefix(`${name}-${platform}`);
  const dropAll = async () => {
    await deleteKeys(prefix, TEST_REDIS_URL);
    await database.drop();
  };
  let world: ChatWorld;
  try {
    world = await startChatWorld(platform, {
      retries: FAST_RETRIES,
      ...options,
      databaseUrl: database.url,
      redisUrl: TEST_REDIS_URL,
      queuePrefix: prefix,
    });
  } catch (error) {
    await dropAll();
    throw error;
  }
  return {
    world,
    flow: new Flow(world, world.app.services.db),
    close: async () => {
      await world.close();
      await dropAll();
    },
  };
}
