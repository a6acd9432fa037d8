import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** Field names whose values never reach a log line, wherever they sit in the logged object. */
const SECRET_KEYS = [
  'token', 'botToken', 'appToken', 'signingSecret', 'secret', 'password', 'passphrase', 'authorization',
  'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'MATTERMOST_BOT_TOKEN', 'MATTERMOST_COMMAND_TOKENS',
  'MATTERMOST_ACTION_SECRET', 'PULUMI_CONFIG_PASSPHRASE', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'DATABASE_URL',
  'CREDENTIALS_KEY', 'CREDENTIALS_KEY_OLD', 'secretAccessKey', 'accessKeyId', 'credentials',
];

/**
 * What people typed into forms: Slack puts it deep in a view submission (`view.state.values`), Mattermost in a dialog's
 * `submission`, and the core in a dialog invocation's `fields`. A form may hold a secret, so none of it is logged.
 */
const SUBMITTED_VALUES = [
  'view.state.values', '*.view.state.values', '*.*.view.state.values', 'state.values', '*.state.values',
  'submission', '*.submission', 'fields', '*.fields',
];

export const REDACT_PATHS = [...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]), ...SUBMITTED_VALUES];

/**
 * Log text that quotes a payload (a library that logs request bodies as strings) with the values of any
 * `"state":{"values":{…}}` or `"submission":{…}` object replaced, whatever they hold.
 */
export function redactSubmittedText(text: string): string {
  let result = '';
  let index = 0;
  const opener = /"(?:values|submission|fields)"\s*:\s*\{/g;
  for (let match = opener.exec(text); match !== null; match = opener.exec(text)) {
    const start = match.index + match[0].length - 1;
    const end = closingBrace(text, start);
    result += `${text.slice(index, match.index)}${match[0].slice(0, -1)}"[redacted]"`;
    index = end + 1;
    opener.lastIndex = index;
  }
  return result + text.slice(index);
}

/** The index of the brace closing the JSON object that opens at `start` (strings skipped), or the text's end. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{') depth += 1;
    else if (character === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return text.length - 1;
}

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
