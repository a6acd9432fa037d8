import { handleInvocation } from '../../../commands/index.js';
import { ConfigError, type Config } from '../../config.js';
import type { Services } from '../../services.js';
import { MemoryChat } from '../memory/chat.js';
import { MemoryDoor } from '../memory/door.js';
import { MemoryNotifier } from '../memory/notifier.js';
import type { PlatformHandle, PlatformOptions } from '../platforms.js';
import { SANDBOX_PEOPLE } from './people.js';
import { sandboxDoor } from './routes.js';

/**
 * The sandbox: the in-memory chat shown in a browser at /sandbox, for trying the bot with no chat workspace. It is on
 * when no chat platform is configured (SANDBOX=off turns it off) in a process that both serves HTTP and runs the
 * workers (`start`): its chat lives in that process, where the workers post too.
 *
 * Whoever is at the keyboard can be the admin, so it refuses to run with a provisioner that creates real resources.
 */
export function startSandbox(s: Services, options: PlatformOptions): PlatformHandle | undefined {
  if (!s.config.sandboxOn) return undefined;
  refuseSandboxWithRealResources(s.config);
  if (!options.web || !options.workers) {
    s.log.info('the sandbox runs only where the web half and the workers share a process (`start`); it is off in this one');
    return undefined;
  }
  const chat = new MemoryChat('sandbox');
  for (const person of SANDBOX_PEOPLE) chat.join({ id: person.id, name: person.name });
  const door = new MemoryDoor(chat, (invocation) => handleInvocation(s, invocation), s.log, s.clock);
  return {
    notifier: new MemoryNotifier(chat),
    door: sandboxDoor({ chat, door, approvalsChannel: s.config.sandbox.approvalsChannel, log: s.log }),
    stop: async () => undefined,
  };
}

/** Start-up refuses the sandbox beside a provisioner that creates real resources (checked before anything starts). */
export function refuseSandboxWithRealResources(config: Pick<Config, 'sandboxOn' | 'PROVISIONER'>): void {
  if (!config.sandboxOn || config.PROVISIONER === 'local') return;
  throw new ConfigError([
    `SANDBOX: the sandbox is on (no chat platform is configured) and anyone at its keyboard acts as an admin, so it does not run with PROVISIONER=${config.PROVISIONER}: configure Slack or Mattermost, or set SANDBOX=off`,
  ]);
}
