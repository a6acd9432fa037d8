import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { View } from '../../blocks/view.js';
import { MemoryChat } from '../../src/chat/memory/chat.js';
import { MemoryDoor } from '../../src/chat/memory/door.js';
import { MemoryNotifier } from '../../src/chat/memory/notifier.js';
import { memoryTranscript, transcriptLines } from '../../src/chat/memory/transcript.js';
import type { Invocation, Reply } from '../../src/chat/types.js';
import { silentLogger } from '../../src/log.js';

const text = (words: string, buttons: { actionId: 'approve' | 'reject'; label: string }[] = []): View => ({
  text: words,
  blocks: [{ kind: 'text', text: words }, ...(buttons.length > 0 ? [{ kind: 'actions' as const, buttons: buttons.map((button) => ({ ...button, value: 'env-7k2p9q' })) }] : [])],
});

function world(answer: (invocation: Invocation) => Reply) {
  const chat = new MemoryChat();
  const alice = chat.join({ id: 'alice', name: 'alice' });
  const ana = chat.join({ id: 'ana', name: 'ana' });
  chat.join({ id: 'hubot', name: 'hubot', bot: true });
  const seen: Invocation[] = [];
  const door = new MemoryDoor(chat, async (invocation) => {
    seen.push(invocation);
    return answer(invocation);
  }, silentLogger);
  return { chat, door, alice, ana, seen, notifier: new MemoryNotifier(chat) };
}

describe('the in-memory chat', () => {
  it('hands the core a sandbox command with the mentions of people in the chat resolved, and shows the answer to the typist only', async () => {
    const { chat, door, alice, seen } = world(() => ({ view: text('Done.') }));
    const sent = await door.type(alice, '/env role @ana approver @hubot @nobody');
    expect(seen[0]).toMatchObject({
      kind: 'command',
      platform: 'sandbox',
      user: { platform: 'sandbox', id: 'alice', name: 'alice' },
      channelId: 'general',
      command: 'env',
      text: 'role <@ana|ana> approver <@hubot|hubot> @nobody',
      mentions: [{ id: 'ana', name: 'ana', bot: false }, { id: 'hubot', name: 'hubot', bot: true }],
    });
    expect(sent.shown).toMatchObject({ channelId: 'general', visibleTo: 'alice' });
    expect(chat.channel('general', 'ana')).toEqual([]);
  });

  it('edits the clicked message, opens dialogs and sends their submissions back with what they are about', async () => {
    const { chat, door, notifier, alice, ana, seen } = world((invocation) =>
      invocation.kind === 'action'
        ? { view: { text: '', blocks: [] }, replaceOriginal: text('Rejecting…'), openDialog: { callbackId: 'rejectReason', title: 'Reject', submitLabel: 'Reject', value: 'env-7k2p9q', fields: [] } }
        : { view: text('Rejected.') },
    );
    const card = await notifier.post('lab-approvals', text('Lab request env-7k2p9q', [{ actionId: 'approve', label: 'Approve' }, { actionId: 'reject', label: 'Reject' }]));
    await door.click(ana, chat.message(card.messageId), 'reject');
    expect(seen[0]).toMatchObject({ kind: 'action', actionId: 'reject', value: 'env-7k2p9q', message: { platform: 'sandbox', channelId: 'lab-approvals', messageId: card.messageId } });
    expect(chat.message(card.messageId)).toMatchObject({ view: text('Rejecting…'), edits: 1 });
    expect(door.dialogOf(ana)?.callbackId).toBe('rejectReason');
    await door.submit(ana, { reason: 'too expensive' });
    expect(seen[1]).toMatchObject({ kind: 'dialog', callbackId: 'rejectReason', value: 'env-7k2p9q', fields: { reason: 'too expensive' }, channelId: 'lab-approvals' });
    expect(door.dialogOf(ana)).toBeUndefined();
    await expect(door.click(alice, chat.message(card.messageId), 'approve')).rejects.toThrow(/no approve button/);
  });

  it('prints what happened as people saw it: actions, channels, threads, DMs, edits and files', async () => {
    const { chat, door, notifier, alice } = world(() => ({ view: text('Requested <@alice|alice>.') }));
    await door.type(alice, '/env request soc-platform');
    const card = await notifier.post('lab-approvals', text('Lab request', [{ actionId: 'approve', label: 'Approve' }]));
    await notifier.reply(card, text('env-7k2p9q: TheHive ready'));
    await notifier.update(card, text('Lab request: approved'));
    await notifier.dm('alice', text('Your lab is running.'));
    await notifier.upload('alice', { filename: 'audit.csv', title: 'Audit', comment: 'Audit log export: 2 entries.', content: Readable.from(['id\n', '1\n']) });
    expect(transcriptLines(memoryTranscript(chat))).toEqual([
      '> alice typed: /env request soc-platform',
      '[#general] (only @alice sees this)',
      '  Requested @alice.',
      '[#lab-approvals]',
      '  Lab request',
      '  [Approve]',
      '    ↳ [#lab-approvals] (in thread)',
      '      env-7k2p9q: TheHive ready',
      '[#lab-approvals] (edited)',
      '  Lab request: approved',
      '[DM with @alice]',
      '  Your lab is running.',
      '[DM with @alice]',
      '  Audit log export: 2 entries.',
      '  📎 audit.csv (5 bytes)',
    ]);
    expect(chat.dms('alice').flatMap((message) => message.files).map((file) => file.content.toString())).toEqual(['id\n1\n']);
  });

  it('wakes waiters when something changes, and gives up after their time', async () => {
    const { chat, notifier } = world(() => ({ view: text('') }));
    const waiting = chat.waitFor(() => chat.dms('ana')[0]);
    await notifier.dm('ana', text('Hello'));
    expect((await waiting).view.text).toBe('Hello');
    await expect(chat.waitFor(() => chat.dms('nobody')[0], 20)).rejects.toThrow(/within 20 ms/);
  });

  it('tells listeners of each change until they stop, and finds files by id', async () => {
    const { chat, notifier } = world(() => ({ view: text('') }));
    let changes = 0;
    const stop = chat.onChange(() => (changes += 1));
    await notifier.upload('ana', { filename: 'audit.csv', title: 'Audit', comment: 'Export', content: Readable.from(['a\n']) });
    expect(changes).toBe(1);
    stop();
    await notifier.dm('ana', text('after'));
    expect(changes).toBe(1);
    const [file] = chat.dms('ana')[0]!.files;
    expect(chat.file(file!.id)?.message.channelId).toBe('dm-ana');
    expect(chat.file('no-such-file')).toBeUndefined();
  });

  it('posts anew what the core edits or answers under a message from before the process started', async () => {
    const { chat, notifier } = world(() => ({ view: text('') }));
    const gone = { platform: 'sandbox' as const, channelId: 'lab-approvals', messageId: 'm-before-restart' };
    await notifier.update(gone, text('Lab request: expired'));
    await notifier.reply(gone, text('env-7k2p9q is destroyed.'));
    expect(chat.channel('lab-approvals').map((message) => message.view.text)).toEqual(['Lab request: expired', 'env-7k2p9q is destroyed.']);
  });

  it('closes a dialog on cancel without telling the core', async () => {
    const dialog = { callbackId: 'rejectReason' as const, title: 'Reject', submitLabel: 'Reject', value: 'env-7k2p9q', fields: [] };
    const { door, ana, seen, chat } = world(() => ({ view: { text: '', blocks: [] }, openDialog: dialog }));
    await door.type(ana, '/env reject env-7k2p9q');
    expect(door.dialogOf(ana)).toEqual(dialog);
    door.cancel(ana);
    expect(door.dialogOf(ana)).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(transcriptLines(memoryTranscript(chat)).at(-1)).toBe('> ana closed “Reject”');
    await expect(door.submit(ana, {})).rejects.toThrow(/no dialog is open/);
  });
});
