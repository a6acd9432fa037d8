import { buttonsOf, type ChatMessage, type ChatPerson, type MemoryChat } from './chat/memory/chat.js';
import type { MemoryDoor } from './chat/memory/door.js';

/**
 * The demo's story, played by two people in the in-memory chat: alice asks for an environment, ana (an approver and admin)
 * approves it, the workers deploy it, alice is reminded, extends it, is refused an extension past the preset's
 * maximum, destroys it, and ana exports the audit log. Each chapter waits for what people would see before the next.
 */

export interface DemoChat {
  chat: MemoryChat;
  door: MemoryDoor;
  people: { alice: ChatPerson; ana: ChatPerson };
  /** Where approval cards go. */
  approvalsChannel: string;
}

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

export async function playDemo(demo: DemoChat, out: DemoOutput): Promise<DemoOutcome> {
  const { chat, door } = demo;
  const { alice, ana } = demo.people;
  const waitFor = async <T>(what: string, check: () => T | undefined | null | false): Promise<T> => {
    try {
      return await chat.waitFor(check, WAIT_MS);
    } catch {
      throw new Error(`the demo stopped: ${what} did not happen within ${WAIT_MS / 1000} s`);
    }
  };
  const says = (message: ChatMessage, ...words: string[]) => words.every((word) => message.view.text.includes(word));
  const seenBy = (person: ChatPerson): ChatMessage[] => [...chat.onlyFor(person.id), ...chat.dms(person.id)].reverse();

  out.chapter('1. alice asks for a SOC lab');
  const requested = await door.type(alice, '/env request soc-platform --ttl 10s --name demo');
  const envId = /env-[a-z0-9]{6}/.exec(requested.reply.view.text)?.[0];
  if (!envId) throw new Error(`the demo stopped: the request was not accepted: ${requested.reply.view.text}`);
  const card = await waitFor('the approval card', () =>
    chat.channel(demo.approvalsChannel).find((message) => says(message, envId) && buttonsOf(message.view).length > 0),
  );
  out.flush();

  out.chapter('2. ana approves it in the approvals channel; the workers deploy it');
  await door.click(ana, card, 'approve');
  await waitFor('the "lab ready" DM', () => chat.dms(alice.id).find((message) => says(message, envId, 'is running')));
  out.flush();

  out.chapter('3. Before it expires, alice is reminded and extends it');
  const reminder = await waitFor('the reminder', () => chat.dms(alice.id).find((message) => says(message, 'expires in')));
  out.flush();
  await door.click(alice, reminder, 'extend1h');
  await waitFor('the extension', () => seenBy(alice).find((message) => says(message, 'Extended')));
  await door.type(alice, `/env extend ${envId} 3d`);
  out.flush();

  out.chapter('4. alice destroys it');
  await door.click(alice, reminder, 'destroy');
  const confirmation = await waitFor('the destroy confirmation', () =>
    seenBy(alice).find((message) => buttonsOf(message.view).some((button) => button.actionId === 'destroyConfirm')),
  );
  await door.click(alice, confirmation, 'destroyConfirm');
  await waitFor('the "destroyed" DM', () => chat.dms(alice.id).find((message) => says(message, envId, 'was destroyed')));
  out.flush();

  out.chapter('5. ana exports the audit log');
  await door.type(ana, '/audit export');
  const file = await waitFor('the CSV file', () => chat.dms(ana.id).flatMap((message) => message.files)[0]);
  out.flush();
  const lines = file.content.toString('utf8').split(/\r?\n/).filter((line) => line !== '');
  const header = lines[0] ?? '';
  const exportedRows = lines.length - 1;
  out.note(`${file.name}: ${exportedRows} entries, columns ${header}`);
  for (const line of lines.slice(1, 4)) out.note(`  ${line.length > 150 ? `${line.slice(0, 150)}…` : line}`);
  return { envId, exportFile: file.name, exportedRows };
}
