import { loadConfig } from './config.js';
import { demoDatabase, demoQueuePrefix, deleteQueueKeys, type DemoDatabase } from './demo-resources.js';
import { playDemo, type DemoOutcome, type DemoOutput } from './demo-scenario.js';
import { describeRedisUrl } from './queue/redis.js';
import { createLogger } from './log.js';
import { startChatWorld, type ChatWorld } from '../test/fakes/chat-world.js';

/**
 * `npm run demo`: the real bot (HTTP server, Slack adapter, workers) against the fake Slack of the tests on
 * 127.0.0.1, with short durations, driven through the whole flow by two people; the conversation is printed as they
 * would have seen it. Needs Redis (REDIS_URL); Postgres is DATABASE_URL or the embedded one.
 */
export interface DemoOptions {
  /** Postgres to use; default DATABASE_URL, else the embedded Postgres under DATA_DIR/demo-postgres. */
  databaseUrl?: string;
  /** Default REDIS_URL. */
  redisUrl?: string;
  /** Where the transcript goes; stdout by default. */
  write?: (line: string) => void;
}

export interface DemoResult extends DemoOutcome {
  /** Every line written. */
  lines: string[];
}

/** Short enough to watch a whole lifecycle in seconds; the first reminder comes 6 s before expiry. */
const DEMO_ENV: Record<string, string> = {
  MIN_TTL: '1s',
  REMINDER_OFFSETS: '6s',
  APPROVAL_TIMEOUT: '1h',
  LOCAL_PROVISIONER_STEP_MS: '150',
};

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const settings = loadConfig();
  const lines: string[] = [];
  const print = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const write = (text: string) => {
    for (const line of text.split('\n')) {
      lines.push(line);
      print(line);
    }
  };
  // Only failures are logged (to stderr): the transcript is the output.
  const log = createLogger('error', process.stderr);
  const redisUrl = options.redisUrl ?? settings.REDIS_URL;
  const prefix = demoQueuePrefix();
  const database = await demoDatabase(options.databaseUrl ?? settings.DATABASE_URL, settings.DATA_DIR, log);
  let world: ChatWorld | undefined;
  try {
    world = await startChatWorld('slack', {
      databaseUrl: database.url,
      redisUrl,
      queuePrefix: prefix,
      env: DEMO_ENV,
      log,
      roles: { admins: ['ana'], approvers: ['ana'] },
    });
    introduce(write, world, database, redisUrl);
    const outcome = await playDemo(world, transcriptOutput(world, write));
    write('');
    write(`Done: ${outcome.envId} was requested, approved, deployed, reminded, extended and destroyed, and the audit log exported.`);
    return { ...outcome, lines };
  } finally {
    if (world) {
      await world.close();
      await deleteQueueKeys(redisUrl, prefix).catch((error: unknown) => log.error({ err: error }, 'could not delete the demo queue keys'));
    }
    await database.release();
  }
}

function introduce(write: (line: string) => void, world: ChatWorld, database: DemoDatabase, redisUrl: string): void {
  write('Aithroyz ChatOps demo');
  write(`The bot runs at ${world.appUrl} against a fake Slack on 127.0.0.1, with ${database.description} and Redis at ${describeRedisUrl(redisUrl)}.`);
  write('alice is a member; ana is an approver and an admin. Lines starting with ">" are what they did; the rest is what Slack showed.');
}

/** Prints the driver's transcript as it grows, under chapter titles. */
function transcriptOutput(world: ChatWorld, write: (line: string) => void): DemoOutput {
  let printed = 0;
  const flush = () => {
    const transcript = world.driver.transcript();
    for (const line of transcript.slice(printed)) write(line);
    printed = transcript.length;
  };
  return {
    chapter(title) {
      flush();
      write('');
      write(`── ${title} ──`);
    },
    flush,
    note: write,
  };
}
