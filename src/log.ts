import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** Field names whose values never reach a log line, wherever they sit in the logged object. */
const SECRET_KEYS = [
  'token', 'botToken', 'appToken', 'signingSecret', 'secret', 'password', 'passphrase', 'authorization',
  'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'MATTERMOST_BOT_TOKEN', 'MATTERMOST_COMMAND_TOKENS',
  'MATTERMOST_ACTION_SECRET', 'PULUMI_CONFIG_PASSPHRASE', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'DATABASE_URL',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]);

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: [...REDACT_PATHS, 'req.headers.authorization', 'req.headers["x-slack-signature"]'], censor: '[redacted]' },
      base: { service: 'aithroyz-chatops' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * Log lines as a person reads them on a terminal (time, level, message, then the fields), for a process whose stdout
 * is a terminal; anything else (a file, a pipe, a log collector) gets pino's JSON lines.
 */
export function terminalDestination(): pino.DestinationStream {
  return pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: false, sync: true });
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
