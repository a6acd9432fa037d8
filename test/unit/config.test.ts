import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig, withoutCredentials } from '../../src/config.js';

/** The problems a bad environment produces, one line per problem. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

const SLACK = { SLACK_SIGNING_SECRET: 'sig-secret-1', SLACK_BOT_TOKEN: 'xoxb-bot-token-1', SLACK_APPROVALS_CHANNEL: 'C0APPROVE' };
const MATTERMOST = {
  MATTERMOST_URL: 'https://chat.example.com/',
  MATTERMOST_BOT_TOKEN: 'mm-bot-token-1',
  MATTERMOST_COMMAND_TOKENS: 'tok-env, tok-audit',
  MATTERMOST_APPROVALS_CHANNEL: 'ch-approvals',
  PUBLIC_URL: 'https://bot.example.com/',
};

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: '.data',
      EMBEDDED_POSTGRES_PORT: 5433,
      REDIS_URL: 'redis://127.0.0.1:6379',
      PROVISIONER: 'local',
      LOCAL_PROVISIONER_STEP_MS: 2000,
      LOCAL_PROVISIONER_FAIL: [],
      MIN_TTL: 15 * 60,
      REMINDER_OFFSETS: [24 * 3600, 3600, 15 * 60],
      APPROVAL_TIMEOUT: 24 * 3600,
      MAX_ACTIVE_PER_USER: 3,
      AUDIT_RETENTION_DAYS: 90,
      ADMINS: [],
      APPROVERS: [],
      SLACK_API_URL: 'https://slack.com/api/',
      LAB_ALLOWED_CIDRS: [],
      LOG_LEVEL: 'info',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.slack).toBeUndefined();
    expect(config.mattermost).toBeUndefined();
  });

  it('treats empty strings as unset and ignores variables it does not know', () => {
    const config = loadConfig({ PORT: '', REDIS_URL: '', SLACK_BOT_TOKEN: '', HOME: '/root', UNRELATED: 'x' });
    expect(config.PORT).toBe(3000);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.slack).toBeUndefined();
    expect(Object.keys(config)).not.toContain('HOME');
  });

  it('reads every value it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://app@db:5432/app',
      REDIS_URL: 'rediss://cache:6380/2',
      PROVISIONER: 'local',
      LOCAL_PROVISIONER_STEP_MS: '0',
      LOCAL_PROVISIONER_FAIL: 'zap, nuclei ,',
      MAX_ACTIVE_PER_USER: '10',
      AUDIT_RETENTION_DAYS: '365',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      DATABASE_URL: 'postgresql://app@db:5432/app',
      REDIS_URL: 'rediss://cache:6380/2',
      LOCAL_PROVISIONER_STEP_MS: 0,
      LOCAL_PROVISIONER_FAIL: ['zap', 'nuclei'],
      MAX_ACTIVE_PER_USER: 10,
      AUDIT_RETENTION_DAYS: 365,
      LOG_LEVEL: 'debug',
    });
  });

  it('knows every variable it documents, without duplicates', () => {
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
    for (const name of CONFIG_VARIABLES) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});

describe('loadConfig TRUST_PROXY', () => {
  it('trusts no proxy by default, and reads true, false, a hop count or addresses and CIDRs', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'TRUE' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,,fd00::/8' }).TRUST_PROXY).toEqual(['10.0.0.1', '172.16.0.0/12', 'fd00::/8']);
  });
});

describe('loadConfig durations', () => {
  it('parses units alone and combined, and sorts reminder offsets largest first without duplicates', () => {
    const config = loadConfig({ MIN_TTL: '90s', APPROVAL_TIMEOUT: '1d12h', REMINDER_OFFSETS: '15m,2h30m,1h,15m', SHUTDOWN_TIMEOUT: '5s' });
    expect(config.MIN_TTL).toBe(90);
    expect(config.APPROVAL_TIMEOUT).toBe(36 * 3600);
    expect(config.REMINDER_OFFSETS).toEqual([9000, 3600, 900]);
    expect(config.SHUTDOWN_TIMEOUT).toBe(5);
  });

  it.each([
    ['MIN_TTL', 'abc', 'is not a duration'],
    ['MIN_TTL', '-5h', 'is not a duration'],
    ['APPROVAL_TIMEOUT', '0m', 'is zero'],
    ['APPROVAL_TIMEOUT', '5y', 'is not a duration'],
    ['RECONCILE_INTERVAL', '999999d', 'is too long'],
    ['REMINDER_OFFSETS', '1h,soon', 'is not a duration'],
  ])('refuses %s=%s naming the variable and the rule', (name, value, rule) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} \\(got "${value.replace(/[()]/g, '\\$&')}"\\): `));
    expect(problems[0]).toContain(rule);
  });
});

describe('loadConfig refusals name the variable', () => {
  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['EMBEDDED_POSTGRES_PORT', '-1'],
    ['DATABASE_URL', 'mysql://db/app'],
    ['REDIS_URL', 'localhost:6379'],
    ['QUEUE_PREFIX', 'has:colon'],
    ['REDIS_EVICTION_CHECK', 'ignore'],
    ['WORKER_CONCURRENCY', '0'],
    ['PROVISIONER', 'terraform'],
    ['LOCAL_PROVISIONER_STEP_MS', '1.5'],
    ['MAX_ACTIVE_PER_USER', '0'],
    ['AUDIT_RETENTION_DAYS', 'forever'],
    ['SLACK_API_URL', 'ftp://slack.com/api'],
    ['MATTERMOST_URL', 'not a url'],
    ['LOG_LEVEL', 'verbose'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.1, proxy.internal'],
    ['TRUST_PROXY', '10.0.0.0/33'],
  ])('%s=%s', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems.some((problem) => problem.startsWith(`${name} (got "${value}"): `))).toBe(true);
  });

  it('lists every bad variable at once, one line each, in the error message', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud', MIN_TTL: 'never' });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message.split('\n')[0]).toBe('Invalid configuration:');
      expect(message).toMatch(/^ {2}- PORT /m);
      expect(message).toMatch(/^ {2}- LOG_LEVEL /m);
      expect(message).toMatch(/^ {2}- MIN_TTL /m);
    }
  });
});

describe('loadConfig never echoes a secret', () => {
  it('does not show the value of a bad token', () => {
    const problems = problemsOf({ ...SLACK, SLACK_APP_TOKEN: 'xoxb-not-an-app-token-SECRETVALUE' });
    expect(problems).toEqual(['SLACK_APP_TOKEN: must be an app-level token starting with xapp-']);
  });

  it('does not show a blank secret', () => {
    const problems = problemsOf({ ...SLACK, SLACK_SIGNING_SECRET: '   ' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SLACK_SIGNING_SECRET: /);
  });

  it('hides the password of a connection string it refuses', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://app:hunter2@db/app', REDIS_URL: 'http://:p4ss@cache:6379' });
    expect(problems.join('\n')).not.toMatch(/hunter2|p4ss/);
    expect(problems).toContain('DATABASE_URL (got "mysql://***@db/app"): must be a postgres:// connection string');
  });

  it('withoutCredentials strips user and password, and leaves other text alone', () => {
    expect(withoutCredentials('postgres://u:p@ss@h:5432/db and more')).toBe('postgres://***@h:5432/db and more');
    expect(withoutCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(withoutCredentials(undefined)).toBe('');
  });
});

describe('loadConfig platforms and provisioner', () => {
  it('turns Slack on with its three values and normalises the API URL', () => {
    const config = loadConfig({ ...SLACK, SLACK_API_URL: 'http://127.0.0.1:9999/api' });
    expect(config.slack).toEqual({
      signingSecret: 'sig-secret-1',
      botToken: 'xoxb-bot-token-1',
      appToken: undefined,
      apiUrl: 'http://127.0.0.1:9999/api/',
      approvalsChannel: 'C0APPROVE',
      auditChannel: undefined,
    });
  });

  it.each(['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APPROVALS_CHANNEL'] as const)(
    'requires %s once any Slack credential is set',
    (missing) => {
      const env: Record<string, string> = { ...SLACK };
      delete env[missing];
      const problems = problemsOf(env);
      expect(problems).toEqual([`${missing}: is required when Slack is on (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN or SLACK_APP_TOKEN is set)`]);
    },
  );

  it('requires the Slack values when only an app token is set', () => {
    const problems = problemsOf({ SLACK_APP_TOKEN: 'xapp-1-abc' });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APPROVALS_CHANNEL']);
  });

  it('turns Mattermost on with its five values, trimming URLs and splitting tokens', () => {
    const config = loadConfig(MATTERMOST);
    expect(config.mattermost).toMatchObject({
      url: 'https://chat.example.com',
      publicUrl: 'https://bot.example.com',
      commandTokens: ['tok-env', 'tok-audit'],
      approvalsChannel: 'ch-approvals',
    });
    expect(config.mattermost?.actionSecret).toBeTruthy();
    expect(loadConfig({ ...MATTERMOST, MATTERMOST_ACTION_SECRET: 'own-secret' }).mattermost?.actionSecret).toBe('own-secret');
  });

  it.each(['MATTERMOST_URL', 'MATTERMOST_BOT_TOKEN', 'MATTERMOST_COMMAND_TOKENS', 'MATTERMOST_APPROVALS_CHANNEL', 'PUBLIC_URL'] as const)(
    'requires %s once Mattermost is on',
    (missing) => {
      const env: Record<string, string> = { ...MATTERMOST };
      delete env[missing];
      const problems = problemsOf(env);
      expect(problems).toEqual([`${missing}: is required when Mattermost is on (MATTERMOST_URL or MATTERMOST_BOT_TOKEN is set)`]);
    },
  );

  it('runs both platforms side by side', () => {
    const config = loadConfig({ ...SLACK, ...MATTERMOST });
    expect(config.slack?.approvalsChannel).toBe('C0APPROVE');
    expect(config.mattermost?.approvalsChannel).toBe('ch-approvals');
  });

  it('requires a passphrase (or a secrets provider) and allowed CIDRs with PROVISIONER=pulumi', () => {
    expect(problemsOf({ PROVISIONER: 'pulumi' }).map((problem) => problem.split(':')[0])).toEqual([
      'PULUMI_CONFIG_PASSPHRASE',
      'LAB_ALLOWED_CIDRS',
    ]);
    const withProvider = loadConfig({ PROVISIONER: 'pulumi', PULUMI_SECRETS_PROVIDER: 'awskms://alias/labs', LAB_ALLOWED_CIDRS: '10.0.0.0/8' });
    expect(withProvider.LAB_ALLOWED_CIDRS).toEqual(['10.0.0.0/8']);
    const withPassphrase = loadConfig({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'pass phrase', LAB_ALLOWED_CIDRS: '203.0.113.7/32' });
    expect(withPassphrase.PROVISIONER).toBe('pulumi');
    expect(problemsOf({ PROVISIONER: 'pulumi', PULUMI_CONFIG_PASSPHRASE: 'x' })).toEqual(['LAB_ALLOWED_CIDRS: is required with PROVISIONER=pulumi']);
  });
});

describe('loadConfig ADMINS and APPROVERS', () => {
  it('accepts comma-separated platform:id keys, spaces and empty items tolerated', () => {
    const config = loadConfig({ ADMINS: 'slack:U123ABC, mattermost:8x3f1k9q2b7n5m4p6r0t1y2u3i ,', APPROVERS: 'slack:U9,sandbox:ana' });
    expect(config.ADMINS).toEqual(['slack:U123ABC', 'mattermost:8x3f1k9q2b7n5m4p6r0t1y2u3i']);
    expect(config.APPROVERS).toEqual(['slack:U9', 'sandbox:ana']);
  });

  it.each(['U123', 'teams:U1', 'slack:', 'slack:U 1', 'slack:U1;drop table members'])('refuses ADMINS=%s with the expected format', (value) => {
    const problems = problemsOf({ ADMINS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('ADMINS');
    expect(problems[0]).toContain('each entry must be a platform (slack, mattermost, sandbox) and a user id, like slack:U123');
  });

  it('names APPROVERS when that list is the bad one', () => {
    expect(problemsOf({ ADMINS: 'slack:U1', APPROVERS: 'slack:U2,bob' })[0]).toMatch(/^APPROVERS /);
  });
});

describe('loadConfig OpenID Connect', () => {
  const OIDC = { OIDC_ISSUER: 'https://accounts.google.com', OIDC_CLIENT_ID: 'client-1.apps.googleusercontent.com', OIDC_CLIENT_SECRET: 'oidc-secret-1', PUBLIC_URL: 'https://bot.example.com' };

  it('is off by default, and on with the issuer, the client and PUBLIC_URL; Google is called Google, others by their host', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(loadConfig({ ...OIDC, OIDC_ALLOWED_DOMAINS: 'Example.com, corp.example.org' }).oidc).toEqual({
      issuer: 'https://accounts.google.com',
      clientId: 'client-1.apps.googleusercontent.com',
      clientSecret: 'oidc-secret-1',
      allowedDomains: ['example.com', 'corp.example.org'],
      name: 'Google',
    });
    expect(loadConfig({ ...OIDC, OIDC_ISSUER: 'https://login.example.com/realms/staff' }).oidc?.name).toBe('login.example.com');
    expect(loadConfig({ ...OIDC, OIDC_NAME: ' Acme SSO ' }).oidc?.name).toBe('Acme SSO');
  });

  it('requires the client, its secret and PUBLIC_URL once any OIDC setting is given, and names each', () => {
    const problems = problemsOf({ OIDC_ISSUER: OIDC.OIDC_ISSUER });
    expect(problems.map((line) => line.split(':')[0])).toEqual(['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'PUBLIC_URL']);
    expect(problems.at(-1)).toContain('PUBLIC_URL/sign-in/oidc/callback');
    expect(problemsOf({ OIDC_ALLOWED_DOMAINS: 'example.com' }).map((line) => line.split(':')[0])).toEqual(['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'PUBLIC_URL']);
  });

  it('refuses an issuer that is not an http(s) URL and a domain list with something else than domains, never echoing the secret', () => {
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: 'accounts.google.com' })[0]).toMatch(/^OIDC_ISSUER/);
    expect(problemsOf({ ...OIDC, OIDC_ALLOWED_DOMAINS: 'example.com,@evil' })[0]).toContain('each entry must be a domain name');
    expect(problemsOf({ ...OIDC, OIDC_CLIENT_SECRET: ' ' }).join('\n')).not.toContain('oidc-secret');
  });
});

describe('CONSOLE_ADMIN_MFA', () => {
  it('is off by default and takes passkey with a PUBLIC_URL on a domain name, localhost included', () => {
    expect(loadConfig({}).CONSOLE_ADMIN_MFA).toBe('off');
    expect(loadConfig({ CONSOLE_ADMIN_MFA: 'passkey', PUBLIC_URL: 'https://chatops.example.com' }).CONSOLE_ADMIN_MFA).toBe('passkey');
    expect(loadConfig({ CONSOLE_ADMIN_MFA: 'passkey', PUBLIC_URL: 'http://localhost:3000' }).CONSOLE_ADMIN_MFA).toBe('passkey');
  });

  it('refuses to start without PUBLIC_URL, with one on an IP address, or with another value, saying why', () => {
    expect(problemsOf({ CONSOLE_ADMIN_MFA: 'passkey' })).toEqual([
      'PUBLIC_URL: is required with CONSOLE_ADMIN_MFA=passkey (passkeys belong to the host browsers reach the console at)',
    ]);
    for (const host of ['10.0.0.5', '[::1]']) {
      const [problem, ...more] = problemsOf({ CONSOLE_ADMIN_MFA: 'passkey', PUBLIC_URL: `https://${host}:8443` });
      expect(more).toEqual([]);
      expect(problem).toMatch(/^CONSOLE_ADMIN_MFA \(got "passkey"\): needs passkeys, which PUBLIC_URL cannot carry: its host .+ is an IP address/);
      expect(problem).toContain('use a name such as chatops.example.com, or localhost on this machine');
    }
    expect(problemsOf({ CONSOLE_ADMIN_MFA: 'totp' })[0]).toMatch(/^CONSOLE_ADMIN_MFA \(got "totp"\): /);
  });

  it('leaves the console on with an IP address when the second factor is off (passkeys are then off)', () => {
    expect(loadConfig({ PUBLIC_URL: 'http://192.0.2.10:3000' }).PUBLIC_URL).toBe('http://192.0.2.10:3000');
  });
});
