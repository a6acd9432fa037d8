import type { ChatMessage, ChatUser, ChatWorld } from '../test/fakes/chat-world.js';

/**
 * The demo's story, played by two people in the fake Slack: alice asks for a lab, ana (an approver and admin)
 * approves it, the workers deploy it, alice is reminded, extends it, is refused an extension past the preset's
 * maximum, destroys it, and ana exports the audit log. Each chapter waits for what people would see before the next.
 */

export interface DemoOutput {
  /** A chapter title. */
  chapter(title: string): void;
  /** Prints what happened in chat since the last call. */
  flush(): void;
  /** A line of the demo's own (not chat). */
  note(line: string): void;
}

export interface DemoOutcome {
  envId: string;
  /** The exported audit CSV's name and its rows (without the header). */
  exportFile: string;
  exportedRows: number;
}

/** How long the demo waits for anything the workers do. */
const WAIT_MS = 30_000;

export async function playDemo(world: ChatWorld, out: DemoOutput): Promise<DemoOutcome> {
  const { driver, people } = world;
  const { alice, ana } = people;
  const waitFor = async <T>(what: string, check: () => T | undefined | null | false): Promise<T> => {
    try {
      return await driver.waitFor(check, WAIT_MS);
    } catch {
      throw new Error(`the demo stopped: ${what} did not happen within ${WAIT_MS / 1000} s`);
    }
  };
  const seenBy = (user: ChatUser): ChatMessage[] => [...driver.ephemerals(user), ...driver.dms(user)].reverse();

  out.chapter('1. alice asks for a SOC lab');
  const requested = await driver.command(alice, '/env request soc-platform --ttl 10s --name demo');
  const envId = /env-[a-z0-9]{6}/.exec(requested.reply?.text ?? '')?.[0];
  if (!envId) throw new Error(`the demo stopped: the request was not accepted: ${requested.reply?.text ?? `HTTP ${requested.status}`}`);
  const card = await waitFor('the approval card', () =>
    driver.channel(world.approvalsChannel).find((message) => message.text.includes(envId) && message.buttons.length > 0),
  );
  out.flush();

  out.chapter('2. ana approves it in the approvals channel; the workers deploy it');
  await driver.click(ana, card, 'approve');
  await waitFor('the "lab ready" DM', () => driver.dms(alice).find((message) => message.text.includes(envId) && message.text.includes('is running')));
  out.flush();

  out.chapter('3. Before it expires, alice is reminded and extends it');
  const reminder = await waitFor('the reminder', () => driver.dms(alice).find((message) => message.text.includes('expires in')));
  out.flush();
  await driver.click(alice, reminder, 'extend1h');
  await waitFor('the extension', () => seenBy(alice).find((message) => message.text.includes('Extended')));
  await driver.command(alice, `/env extend ${envId} 3d`);
  out.flush();

  out.chapter('4. alice destroys it');
  await driver.click(alice, reminder, 'destroy');
  const confirmation = await waitFor('the destroy confirmation', () =>
    seenBy(alice).find((message) => message.buttons.some((button) => button.actionId === 'destroyConfirm')),
  );
  await driver.click(alice, confirmation, 'destroyConfirm');
  await waitFor('the "destroyed" DM', () => driver.dms(alice).find((message) => message.text.includes(envId) && message.text.includes('was destroyed')));
  out.flush();

  out.chapter('5. ana exports the audit log');
  await driver.command(ana, '/audit export');
  const file = await waitFor('the CSV file', () => driver.dms(ana).flatMap((message) => message.files)[0]);
  out.flush();
  const lines = (await world.fileText(file.id)).split(/\r?\n/).filter((line) => line !== '');
  const header = lines[0] ?? '';
  const exportedRows = lines.length - 1;
  out.note(`${file.name}: ${exportedRows} entries, columns ${header}`);
  for (const line of lines.slice(1, 4)) out.note(`  ${line.length > 150 ? `${line.slice(0, 150)}…` : line}`);
  return { envId, exportFile: file.name, exportedRows };
}
