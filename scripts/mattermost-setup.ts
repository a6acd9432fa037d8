import { runSetupCli } from '../src/chat/mattermost/setup-cli.js';

process.exitCode = await runSetupCli(process.argv.slice(2), process.stdout, process.stderr);
