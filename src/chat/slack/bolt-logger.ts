import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { redactSubmittedText, type Logger } from '../../log.js';

const LEVELS: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** Bolt logs payloads as text: what was typed into a modal is cut out before the line is written. */
function describe(parts: unknown[]): string {
  const text = parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return redactSubmittedText(text);
}

/** Bolt, the Web API client and the Socket Mode client log through pino (and its redaction) like the rest of the app. */
export function boltLogger(log: Logger): BoltLogger {
  let child = log.child({ component: 'slack' });
  return {
    debug: (...parts: unknown[]) => child.debug(describe(parts)),
    info: (...parts: unknown[]) => child.info(describe(parts)),
    warn: (...parts: unknown[]) => child.warn(describe(parts)),
    error: (...parts: unknown[]) => child.error(describe(parts)),
    // The level is pino's, set from LOG_LEVEL; Bolt may ask for it but does not get to change it.
    setLevel: () => undefined,
    getLevel: () => LEVELS[log.level] ?? LogLevel.INFO,
    setName: (name: string) => {
      child = log.child({ component: 'slack', name });
    },
  };
}
