import { parseArgs } from 'node:util';
import { setupMattermost, SetupError, type SetupOptions, type SetupResult } from './setup.js';

const USAGE = `Usage: npm run mattermost:setup -- --url <server> --token <admin token> --team <team name or id>
         [--bot-username aithroyz] [--public-url <bot base url>] [--approvals-channel <channel name>]

Creates or updates the bot account and the /env, /team and /audit slash commands, then prints the variables to set.`;

/** Reads the command line; throws SetupError with the usage on anything missing or unknown. */
export function parseSetupArgs(argv: string[]): SetupOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        team: { type: 'string' },
        'bot-username': { type: 'string', default: 'aithroyz' },
        'public-url': { type: 'string' },
        'approvals-channel': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SetupError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const missing = (['url', 'token', 'team'] as const).filter((name) => !values[name]);
  if (missing.length > 0) throw new SetupError(`Missing ${missing.map((name) => `--${name}`).join(', ')}.\n\n${USAGE}`);
  if (!/^https?:\/\//.test(values.url!)) throw new SetupError(`--url must start with http:// or https:// (got "${values.url}").`);
  return {
    url: values.url!,
    adminToken: values.token!,
    team: values.team!,
    botUsername: values['bot-username']!,
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(values['approvals-channel'] ? { approvalsChannel: values['approvals-channel'] } : {}),
  };
}

export function formatSetupResult(result: SetupResult, botUsername: string): string {
  const lines = [
    `Bot @${botUsername} ${result.botCreated ? 'created' : 'updated'} in team ${result.team.name}, with a new access token.`,
    ...result.commands.map((command) => `Slash command /${command.trigger} ${command.created ? 'created' : 'updated'} → ${result.publicUrl}/mattermost/command`),
    '',
    'Set these variables for the bot:',
    ...result.env.map(([name, value]) => `${name}=${value}`),
  ];
  if (!result.approvalsChannelId) {
    lines.push('MATTERMOST_APPROVALS_CHANNEL=<id of the channel for approval cards; add the bot to it>');
  }
  lines.push('', showEmailAddressLine(result.showsEmailAddresses));
  lines.push(
    '',
    'Older access tokens of the bot stay valid until revoked (System Console > Integrations > Bot Accounts).',
    'If the bot\'s address is private or on this machine, list it in ServiceSettings.AllowedUntrustedInternalConnections.',
  );
  return lines.join('\n');
}

/** What Show Email Address means for the console's OIDC sign-in, which finds people by their verified email. */
function showEmailAddressLine(shows: boolean | undefined): string {
  const setting = 'System Console > Site Configuration > Users and Teams > Show Email Address (PrivacySettings.ShowEmailAddress)';
  if (shows === true) return `${setting} is on: the console's OIDC sign-in can find people by their email.`;
  const state = shows === false ? 'is off' : 'could not be read';
  return `${setting} ${state}: turn it on for the console's OIDC sign-in (OIDC_ISSUER), which finds people by their email.`;
}

/** The whole command: parse, set up, print. Returns the exit code. */
export async function runSetupCli(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const options = parseSetupArgs(argv);
    const result = await setupMattermost(options);
    out.write(`${formatSetupResult(result, options.botUsername)}\n`);
    return 0;
  } catch (error) {
    err.write(`mattermost:setup: ${error instanceof SetupError ? error.message : String(error)}\n`);
    return 1;
  }
}
