import { z } from 'zod';
import { durationListSchema, durationSchema } from './domain/durations.js';
import { ACCESS_MODES } from './domain/team.js';
import { PLATFORMS, type Platform } from './domain/users.js';
import { passkeyHostProblem } from './domain/relying-party.js';

/**
 * Every setting of the bot, read once from the environment at start-up. This module is the only reader of
 * process.env; the rest of the code receives a `Config`.
 */

const list = z
  .string()
  .default('')
  .transform((text) => text.split(',').map((item) => item.trim()).filter((item) => item !== ''));

const userKeyList = list.pipe(
  z.array(
    z.string().regex(
      new RegExp(`^(${PLATFORMS.join('|')}):[A-Za-z0-9._-]+$`),
      `each entry must be a platform (${PLATFORMS.join(', ')}) and a user id, like slack:U123 or mattermost:abc123`,
    ),
  ),
);

const optionalText = z.string().trim().min(1).optional();
const httpUrl = z.url({ protocol: /^https?$/ });
const port = z.coerce.number().int().min(0).max(65535);

/** Which proxies in front of the bot to believe about the client address (X-Forwarded-For). */
export type TrustProxy = boolean | number | string[];

const proxyAddress = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
const trustProxy = z
  .string()
  .trim()
  .transform((text, ctx): TrustProxy => {
    if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
    if (/^\d{1,2}$/.test(text)) return Number(text);
    const addresses = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (addresses.length > 0 && addresses.every((address) => proxyAddress.safeParse(address).success)) return addresses;
    ctx.addIssue({ code: 'custom', message: 'must be false, true, a number of proxy hops, or comma-separated proxy addresses and CIDRs' });
    return z.NEVER;
  });

/** A key-encryption key: 32 random bytes in base64. */
const credentialsKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 random bytes in base64 (44 characters); make one with `openssl rand -base64 32`');

const settingsShape = z.object({
    PORT: port.default(3000),
    TRUST_PROXY: trustProxy.default(false),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').optional(),
    DATA_DIR: z.string().min(1).default('.data'),
    EMBEDDED_POSTGRES_PORT: port.default(5433),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
    REDIS_DEFAULT_URL: z.string().regex(/^redis:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/, 'must be a redis:// URL on 127.0.0.1 or localhost').default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('aithroyz'),
    REDIS_EVICTION_CHECK: z.enum(['refuse', 'warn']).default('refuse'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(4),
    SHUTDOWN_TIMEOUT: durationSchema.default(30),
    RECONCILE_INTERVAL: durationSchema.default(60),
    PROVISIONER: z.enum(['local', 'pulumi']).default('local'),
    LOCAL_PROVISIONER_STEP_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
    LOCAL_PROVISIONER_FAIL: list,
    PRESETS_FILE: z.string().min(1).optional(),
    MIN_TTL: durationSchema.default(15 * 60),
    REMINDER_OFFSETS: durationListSchema.default([24 * 3600, 3600, 15 * 60]),
    APPROVAL_TIMEOUT: durationSchema.default(24 * 3600),
    MAX_ACTIVE_PER_USER: z.coerce.number().int().min(1).max(1000).default(3),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    API_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(60),
    ADMINS: userKeyList,
    WORKSPACE_ACCESS: z.enum(ACCESS_MODES).default('open'),
    INVITATION_TTL: durationSchema.default(7 * 24 * 3600),
    APPROVERS: userKeyList,
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_BOT_TOKEN: optionalText,
    SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token starting with xapp-').optional(),
    SLACK_API_URL: httpUrl.default('https://slack.com/api/'),
    SLACK_APPROVALS_CHANNEL: optionalText,
    SLACK_AUDIT_CHANNEL: optionalText,
    MATTERMOST_URL: httpUrl.optional(),
    MATTERMOST_BOT_TOKEN: optionalText,
    MATTERMOST_COMMAND_TOKENS: list,
    MATTERMOST_APPROVALS_CHANNEL: optionalText,
    MATTERMOST_AUDIT_CHANNEL: optionalText,
    MATTERMOST_ACTION_SECRET: optionalText,
    PUBLIC_URL: httpUrl.optional(),
    OIDC_ISSUER: httpUrl.optional(),
    OIDC_CLIENT_ID: optionalText,
    OIDC_CLIENT_SECRET: optionalText,
    OIDC_NAME: z.string().trim().min(1).max(40).optional(),
    OIDC_ALLOWED_DOMAINS: list.pipe(
      z.array(z.string().toLowerCase().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'each entry must be a domain name, like example.com')),
    ),
    CONSOLE_ADMIN_MFA: z.enum(['off', 'passkey']).default('off'),
    PULUMI_BACKEND_URL: optionalText,
    PULUMI_CONFIG_PASSPHRASE: optionalText,
    PULUMI_SECRETS_PROVIDER: optionalText,
    PULUMI_PROJECT: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be letters, digits, dots, dashes or underscores').default('aithroyz-labs'),
    PULUMI_HOME: optionalText,
    LAB_ALLOWED_CIDRS: list,
    LAB_AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1').default('us-east-1'),
    CREDENTIALS_KEY: credentialsKey.optional(),
    CREDENTIALS_KEY_OLD: credentialsKey.optional(),
    CLOUDKEY_VERIFY: z.enum(['off', 'sts']).default('off'),
    CLOUDKEY_STS_ENDPOINT: httpUrl.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SANDBOX: z.enum(['auto', 'off']).default('auto'),
});

export const configSchema = settingsShape.superRefine((settings, ctx) => {
    const require = (name: keyof typeof settings, when: string) => {
      if (settings[name] === undefined || (Array.isArray(settings[name]) && settings[name].length === 0)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is required ${when}` });
      }
    };
    if (settings.SLACK_SIGNING_SECRET || settings.SLACK_BOT_TOKEN || settings.SLACK_APP_TOKEN) {
      const when = 'when Slack is on (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN or SLACK_APP_TOKEN is set)';
      require('SLACK_SIGNING_SECRET', when);
      require('SLACK_BOT_TOKEN', when);
      require('SLACK_APPROVALS_CHANNEL', when);
    }
    if (settings.MATTERMOST_URL || settings.MATTERMOST_BOT_TOKEN) {
      const when = 'when Mattermost is on (MATTERMOST_URL or MATTERMOST_BOT_TOKEN is set)';
      require('MATTERMOST_URL', when);
      require('MATTERMOST_BOT_TOKEN', when);
      require('MATTERMOST_COMMAND_TOKENS', when);
      require('MATTERMOST_APPROVALS_CHANNEL', when);
      require('PUBLIC_URL', when);
    }
    if (settings.OIDC_ISSUER || settings.OIDC_CLIENT_ID || settings.OIDC_CLIENT_SECRET || settings.OIDC_NAME || settings.OIDC_ALLOWED_DOMAINS.length > 0) {
      const when = 'for OpenID Connect sign-in (an OIDC_ setting is set)';
      require('OIDC_ISSUER', when);
      require('OIDC_CLIENT_ID', when);
      require('OIDC_CLIENT_SECRET', when);
      require('PUBLIC_URL', `${when}: the issuer sends people back to PUBLIC_URL${OIDC_CALLBACK_PATH}`);
    }
    if (settings.CONSOLE_ADMIN_MFA === 'passkey') {
      require('PUBLIC_URL', 'with CONSOLE_ADMIN_MFA=passkey (passkeys belong to the host browsers reach the console at)');
      const problem = settings.PUBLIC_URL === undefined ? undefined : passkeyHostProblem(settings.PUBLIC_URL);
      if (problem) ctx.addIssue({ code: 'custom', path: ['CONSOLE_ADMIN_MFA'], message: `needs passkeys, which PUBLIC_URL cannot carry: ${problem}` });
    }
    if (settings.PROVISIONER === 'pulumi') {
      if (!settings.PULUMI_CONFIG_PASSPHRASE && !settings.PULUMI_SECRETS_PROVIDER) {
        ctx.addIssue({
          code: 'custom',
          path: ['PULUMI_CONFIG_PASSPHRASE'],
          message: 'is required with PROVISIONER=pulumi unless PULUMI_SECRETS_PROVIDER names a KMS secrets provider',
        });
      }
      require('LAB_ALLOWED_CIDRS', 'with PROVISIONER=pulumi');
    }
  });

/** Each platform's settings, undefined when it is off. */
export type Config = Omit<z.infer<typeof configSchema>, 'REDIS_URL'> & {
  /** REDIS_URL, or REDIS_DEFAULT_URL when it is unset. */
  REDIS_URL: string;
  /** Whether REDIS_URL was set: when it was not, `start` may run a Redis of its own (see `src/queue/private-redis.ts`). */
  redisUrlSet: boolean;
  slack: SlackConfig | undefined;
  mattermost: MattermostConfig | undefined;
  sandbox: SandboxConfig;
  /** OpenID Connect sign-in to the console; undefined when it is off. */
  oidc: OidcConfig | undefined;
  /** Whether the sandbox page is served: SANDBOX is not `off` and no chat platform is configured. */
  sandboxOn: boolean;
};

/** Where a platform's shared messages go: approval cards, and the daily audit chain head when there is a channel. */
export interface ChatChannels {
  approvalsChannel: string;
  auditChannel: string | undefined;
}

/** The in-process chat needs no settings: its channels are its own. */
export type SandboxConfig = ChatChannels;

/** The sandbox's approvals channel; it has no audit channel (its chat lives and dies with the process). */
export const SANDBOX_CHANNELS: SandboxConfig = { approvalsChannel: 'lab-approvals', auditChannel: undefined };

export interface SlackConfig extends ChatChannels {
  signingSecret: string;
  botToken: string;
  appToken: string | undefined;
  apiUrl: string;
}

export interface MattermostConfig extends ChatChannels {
  url: string;
  botToken: string;
  commandTokens: string[];
  publicUrl: string;
  actionSecret: string;
}

/** Where an OpenID Connect issuer sends people back to, under PUBLIC_URL: the redirect URI to register with it. */
export const OIDC_CALLBACK_PATH = '/sign-in/oidc/callback';

export interface OidcConfig {
  /** The issuer's URL, as its discovery document names it (`https://accounts.google.com`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Domains whose people may sign in (the `hd` claim, or else the email's domain); empty: any domain. */
  allowedDomains: string[];
  /** What the sign-in button calls the issuer: OIDC_NAME, else Google for Google's, else the issuer's host. */
  name: string;
}

/** The variable names the schema knows, for docs and the docker-compose check. */
export const CONFIG_VARIABLES = Object.keys(settingsShape.shape) as (keyof typeof settingsShape.shape)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError whose lines each name the variable at fault. Empty strings count as unset. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const known = new Set<string>(CONFIG_VARIABLES);
  const variables = Object.fromEntries(
    Object.entries(source).filter(([name, value]) => known.has(name) && value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(variables);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'configuration');
        const shown = name in variables && !/SECRET|TOKEN|PASSPHRASE|KEY/.test(name) ? ` (got "${withoutCredentials(variables[name])}")` : '';
        return `${name}${shown}: ${issue.message}`;
      }),
    );
  }
  const value = parsed.data;
  const slack = slackConfig(value);
  const mattermost = mattermostConfig(value);
  return {
    ...value,
    REDIS_URL: value.REDIS_URL ?? value.REDIS_DEFAULT_URL,
    redisUrlSet: value.REDIS_URL !== undefined,
    slack,
    mattermost,
    sandbox: SANDBOX_CHANNELS,
    oidc: oidcConfig(value),
    sandboxOn: value.SANDBOX === 'auto' && !slack && !mattermost,
  };
}

/** Connection strings may carry a password (postgres://user:secret@host): never echo it. */
export function withoutCredentials(text: string | undefined): string {
  return (text ?? '').replace(/\/\/\S*@/g, '//***@');
}

type ParsedSettings = z.infer<typeof configSchema>;

function slackConfig(settings: ParsedSettings): SlackConfig | undefined {
  if (!settings.SLACK_SIGNING_SECRET || !settings.SLACK_BOT_TOKEN || !settings.SLACK_APPROVALS_CHANNEL) return undefined;
  return {
    signingSecret: settings.SLACK_SIGNING_SECRET,
    botToken: settings.SLACK_BOT_TOKEN,
    appToken: settings.SLACK_APP_TOKEN,
    apiUrl: settings.SLACK_API_URL.endsWith('/') ? settings.SLACK_API_URL : `${settings.SLACK_API_URL}/`,
    approvalsChannel: settings.SLACK_APPROVALS_CHANNEL,
    auditChannel: settings.SLACK_AUDIT_CHANNEL,
  };
}

function mattermostConfig(settings: ParsedSettings): MattermostConfig | undefined {
  if (!settings.MATTERMOST_URL || !settings.MATTERMOST_BOT_TOKEN || !settings.MATTERMOST_APPROVALS_CHANNEL || !settings.PUBLIC_URL) {
    return undefined;
  }
  return {
    url: settings.MATTERMOST_URL.replace(/\/+$/, ''),
    botToken: settings.MATTERMOST_BOT_TOKEN,
    commandTokens: settings.MATTERMOST_COMMAND_TOKENS,
    approvalsChannel: settings.MATTERMOST_APPROVALS_CHANNEL,
    auditChannel: settings.MATTERMOST_AUDIT_CHANNEL,
    publicUrl: settings.PUBLIC_URL.replace(/\/+$/, ''),
    // Without a dedicated secret the button HMAC key is derived from the bot token, which is secret too.
    actionSecret: settings.MATTERMOST_ACTION_SECRET ?? `mm-actions:${settings.MATTERMOST_BOT_TOKEN}`,
  };
}

function oidcConfig(settings: ParsedSettings): OidcConfig | undefined {
  if (!settings.OIDC_ISSUER || !settings.OIDC_CLIENT_ID || !settings.OIDC_CLIENT_SECRET) return undefined;
  const host = new URL(settings.OIDC_ISSUER).host;
  return {
    issuer: settings.OIDC_ISSUER,
    clientId: settings.OIDC_CLIENT_ID,
    clientSecret: settings.OIDC_CLIENT_SECRET,
    allowedDomains: settings.OIDC_ALLOWED_DOMAINS,
    name: settings.OIDC_NAME ?? (host === 'accounts.google.com' ? 'Google' : host),
  };
}

/** Where a platform's approval cards and chain heads go; undefined when that platform is off. */
export function channelsOf(config: Pick<Config, Platform>, platform: Platform): ChatChannels | undefined {
  return config[platform];
}
