import type { View } from '../blocks/view.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import type { Services } from '../src/services.js';

/**
 * Posts into the approval card's thread. Best effort: progress notes must never fail a deploy or a destroy, so errors
 * are logged and swallowed. Environments whose card was never posted (platform off) get no thread notes.
 */
export async function postInThread(s: Services, env: EnvironmentRow, view: View): Promise<void> {
  const notifier = s.notifiers.find(env.platform);
  if (!notifier || !env.approvalCard) return;
  try {
    await notifier.reply({ platform: env.platform, ...env.approvalCard }, view);
  } catch (error) {
    s.log.warn({ err: error, envId: env.id }, 'could not post in the approval card thread');
  }
}
