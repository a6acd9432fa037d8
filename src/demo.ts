import { handleInvocation } from '../commands/index.js';
import { startApp, type App } from './app.js';
import { MemoryChat } from './chat/memory/chat.js';
import { MemoryDoor } from './chat/memory/door.js';
import { MemoryNotifier } from './chat/memory/notifier.js';
import { memoryTranscript, transcriptLines } from './chat/memory/transcript.js';
import { loadConfig } from './config.js';
import { demoDatabase, demoQueuePrefix, deleteQueueKeys, type DemoDatabase } from './demo-resources.js';
import { playDemo, type DemoOutcome, type DemoOutput } from './demo-scenario.js';
import { createLogger } from './log.js';
import { describeRedisUrl } from './queue/redis.js';

/**
 * `npm run demo`: the bot's core in this process (the real commands, workflows, workers, Postgres and Redis, with the
 * `local` provisioner and short durations), with a chat of its own in memory instead of Slack or Mattermost, driven
 * through the whole flow by two people; the conversation is printed as they saw it. Needs Redis (REDIS_URL); Postgres
 * is DATABASE_URL or the embedded one.
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
const DEMO_SETTINGS: Record<string, string> = {
  MIN_TTL: '1s',
  REMINDER_OFFSETS: '6s',
  APPROVAL_TIMEOUT: '1h',
  LOCAL_PROVISIONER_STEP_MS: '150',
  ADMINS: 'sandbox:ana',
  APPROVERS: 'sandbox:ana',
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
  const chat = new MemoryChat();
  const people = { alice: chat.join({ id: 'alice', name: 'alice' }), ana: chat.join({ id: 'ana', name: 'ana' }) };
  let app: App | undefined;
  try {
    const config = loadConfig({ ...DEMO_SETTINGS, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix });
    // The worker half runs the jobs; people act through the chat's door, which calls the core directly.
    app = await startApp({ config, log, databaseUrl: database.url, mode: 'worker', notifiers: [new MemoryNotifier(chat)] });
    const services = app.services;
    const door = new MemoryDoor(chat, (invocation) => handleInvocation(services, invocation), log);
    introduce(write, database, redisUrl);
    const outcome = await playDemo({ chat, door, people, approvalsChannel: config.sandbox.approvalsChannel }, transcriptOutput(chat, write));
    write('');
    write(`Done: ${outcome.envId} was requested, approved, deployed, reminded, extended and destroyed, and the audit log exported.`);
    return { ...outcome, lines };
  } finally {
    if (app) {
      await app.stop();
      await deleteQueueKeys(redisUrl, prefix).catch((error: unknown) => log.error({ err: error }, 'could not delete the demo queue keys'));
    }
    await database.release();
  }
}

function introduce(write: (line: string) => void, database: DemoDatabase, redisUrl: string): void {
  write('Aithroyz ChatOps demo');
  write(`The bot runs in this process with a chat of its own in memory (no Slack or Mattermost), with ${database.description} and Redis at ${describeRedisUrl(redisUrl)}.`);
  write('alice is a member; ana is an approver and an admin. Lines starting with ">" are what they did; the rest is what the chat showed.');
}

/** Prints the chat's transcript as it grows, under chapter titles. */
function transcriptOutput(chat: MemoryChat, write: (line: string) => void): DemoOutput {
  let printed = 0;
  const flush = () => {
    const transcript = transcriptLines(memoryTranscript(chat));
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
