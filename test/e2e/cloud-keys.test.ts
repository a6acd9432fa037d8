import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import { WITHHELD_TEXT } from '../../commands/cloudkey.js';
import type { ChatUser, ChatWorld, WorldPlatform } from '../fakes/chat-world.js';
import { FakeSts } from '../fakes/sts.js';
import { capturingLogger, everyTableAsText, newCredentialsKey, newPair } from '../support/cloud-keys.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { actionIds, envIdIn, type Flow, readable } from '../support/flows.js';
import { FAST_SETTINGS } from '../support/services.js';

/**
 * Cloud keys end to end on each platform: the real app behind the fake Slack or Mattermost, at LOG_LEVEL=trace, with
 * keys checked against a fake STS. An admin adds a key through the form (bad fields keep it open), lists it, a lab
 * deploys with it, the key is rotated, its deletion is refused while the lab lives, the lab is destroyed, and the key
 * is deleted. Neither the secret nor the full access key id appears in any table or any log line.
 */
describe.each<WorldPlatform>(['slack', 'mattermost'])('cloud keys on %s', (platform) => {
  let opened: FlowWorld | undefined;
  let world: ChatWorld;
  let flow: Flow;
  let sts: FakeSts;
  const captured = capturingLogger('trace');
  const [first, second] = [newPair(), newPair()];

  beforeAll(async () => {
    sts = await FakeSts.start();
    sts.know({ ...first, account: '123456789012' });
    sts.know({ ...second, account: '123456789012' });
    opened = await openFlowWorld(platform, 'keys', {
      settings: {
        MIN_TTL: FAST_SETTINGS.MIN_TTL!,
        LOCAL_PROVISIONER_STEP_MS: FAST_SETTINGS.LOCAL_PROVISIONER_STEP_MS!,
        LOG_LEVEL: 'trace',
        CREDENTIALS_KEY: newCredentialsKey(),
        CLOUDKEY_VERIFY: 'sts',
        CLOUDKEY_STS_ENDPOINT: sts.url,
      },
      log: captured.log,
    });
    ({ world, flow } = opened);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
    await sts?.close();
  });

  /** Types a command that opens a form, and waits for the form. */
  async function openForm(user: ChatUser, line: string): Promise<void> {
    const before = world.dialogsOpenedFor(user);
    flow.expectAudit(await world.driver.command(user, line), 'ok', line);
    await world.driver.waitFor(() => world.dialogsOpenedFor(user) > before, 10_000);
  }

  async function submit(user: ChatUser, values: Record<string, string>, outcome: 'ok' | 'invalid' | 'denied' | 'error' = 'ok') {
    return flow.expectAudit(await world.driver.submitDialog(user, values), outcome, `${user.name} submitted a cloud key form`);
  }

  let labId: string;

  it('refuses members (the list too), and text that looks like a key before anything keeps it', async () => {
    const { alice, adam } = world.people;
    expect((await flow.command(alice, '/cloudkey list', 'denied')).text).toContain('Only admins can manage cloud keys');
    expect((await flow.command(alice, '/cloudkey add', 'denied')).text).toContain('Only admins');
    const typed = await flow.command(adam, `/cloudkey add labs ${first.accessKeyId} ${first.secretAccessKey}`, 'invalid');
    expect(typed.text).toContain('looks like a cloud key or a secret');
    expect(typed.text).toContain('/cloudkey add');
    const entry = await flow.auditOf(typed.sent);
    expect(entry.details).toMatchObject({ command: 'cloudkey', text: WITHHELD_TEXT, error: 'secret_in_command' });
    expect(world.dialogsOpenedFor(adam)).toBe(0);
  });

  it('adds a key through the form: refused fields stay open under their fields, without echoing what was typed', async () => {
    const { adam } = world.people;
    await openForm(adam, '/cloudkey add');
    const refused = await submit(adam, { name: 'labs', provider: 'aws', accessKeyId: 'AKIA-nope', secretAccessKey: 'short', region: 'eu-west-1' }, 'invalid');
    expect(Object.keys(refused.fieldErrors ?? {}).sort()).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(JSON.stringify(refused.fieldErrors)).not.toMatch(/AKIA-nope|short"/);

    const wrongSecret = await submit(adam, { name: 'labs', provider: 'aws', ...first, secretAccessKey: second.secretAccessKey, region: 'eu-west-1' }, 'invalid');
    expect(wrongSecret.fieldErrors).toEqual({ secretAccessKey: 'AWS refused this secret access key for the access key id.' });

    const added = await submit(adam, { name: 'labs', provider: 'aws', ...first, region: 'eu-west-1' });
    expect(added.fieldErrors).toBeUndefined();
    const shown = await flow.shownTo(adam, (text) => text.includes('Added the cloud key'), 'the key added');
    expect(readable(shown.text)).toContain(`…${first.accessKeyId.slice(-4)}`);
    expect(readable(shown.text)).toContain('account 123456789012');
    expect(sts.calls.map((call) => call.answer)).toEqual(['SignatureDoesNotMatch', 'ok']);
  });

  it('lists the key: masked id, account, region, who added it, default', async () => {
    const { adam } = world.people;
    const list = await flow.command(adam, '/cloudkey list');
    for (const shown of ['labs', '(default)', `…${first.accessKeyId.slice(-4)}`, 'account 123456789012', 'eu-west-1', 'added by adam', 'never rotated', 'no active lab']) {
      expect(list.text).toContain(shown);
    }
  });

  it('deploys a lab with the key, rotates the key, and refuses to delete it while the lab lives', async () => {
    const { alice, adam } = world.people;
    labId = envIdIn((await flow.command(alice, '/env request quick-sandbox --ttl 1h')).text);
    await flow.dm(alice, (text) => text.includes(labId) && text.includes('is running'), 'the lab ready');
    const [lab] = await world.app.services.db.select().from(environments).where(eq(environments.id, labId));
    const resources = await world.app.services.db.select().from(simulatedResources).where(eq(simulatedResources.envId, labId));
    expect(resources.map((row) => row.cloudKeyId)).toEqual(resources.map(() => lab!.cloudKeyId));
    expect(lab!.cloudKeyId).toMatch(/^key-/);

    await openForm(adam, '/cloudkey rotate labs');
    await submit(adam, { ...second });
    await flow.shownTo(adam, (text) => text.includes('Rotated the cloud key') && text.includes(labId), 'the key rotated');
    const list = await flow.command(adam, '/cloudkey list');
    expect(list.text).toContain(`…${second.accessKeyId.slice(-4)}`);
    expect(list.text).toMatch(new RegExp(`used by \\W?${labId}`));

    const refused = await flow.command(adam, '/cloudkey delete labs', 'invalid');
    expect(refused.text).toContain(`used by the lab ${labId}`);
  });

  it('deletes the key once the lab is destroyed, after a confirmation', async () => {
    const { alice, adam } = world.people;
    await flow.command(alice, `/env destroy ${labId}`);
    const confirmation = await flow.shownTo(alice, (_text, message) => actionIds(message).includes('destroyConfirm'), 'the destroy confirmation');
    await flow.click(alice, confirmation, 'destroyConfirm');
    await flow.dm(alice, (text) => text.includes(labId) && /destroyed/i.test(text), 'the lab destroyed');

    expect((await flow.command(adam, '/cloudkey delete labs')).text).toContain('Delete the cloud key');
    const asked = await flow.shownTo(adam, (_text, message) => actionIds(message).includes('cloudKeyDelete'), 'the delete confirmation');
    expect(asked.buttons.map((button) => button.actionId)).toEqual(['cloudKeyDelete', 'cloudKeyKeep']);
    await flow.click(adam, asked, 'cloudKeyDelete');
    await world.driver.waitFor(() => readable(world.driver.refresh(asked).text).includes('Deleted the cloud key'), 10_000);
    expect((await flow.command(adam, '/cloudkey list')).text).toContain('No cloud key is stored yet');
  });

  it('audited each change and each refusal, and every request once', async () => {
    await flow.checkAuditTrail();
    const rows = await world.app.services.db.select().from(auditLog).where(like(auditLog.eventType, 'cloud_key.%'));
    expect(rows.map((row) => `${row.eventType} ${row.outcome}`)).toEqual([
      'cloud_key.added invalid',
      'cloud_key.added invalid',
      'cloud_key.added ok',
      'cloud_key.rotated ok',
      'cloud_key.deleted ok',
    ]);
    const deleted = rows.at(-1)!;
    expect(deleted.details).toMatchObject({ name: 'labs', provider: 'aws', masked_id: `…${second.accessKeyId.slice(-4)}` });
    const refusals = await world.app.services.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'command.invoked'), eq(auditLog.outcome, 'denied')));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
  });

  it('kept the secrets and the full access key ids out of every table and every log line, at LOG_LEVEL=trace', async () => {
    const tables = await everyTableAsText(world.app.services.db);
    const logs = captured.lines.join('');
    expect(captured.log.level).toBe('trace');
    expect(captured.lines.length).toBeGreaterThan(10);
    // Bolt and its Web API client log at debug: those lines were written too, and scanned.
    if (platform === 'slack') expect(logs).toContain('"level":20');
    for (const pair of [first, second]) {
      for (const [where, text] of [['tables', tables], ['logs', logs]] as const) {
        expect(text.includes(pair.secretAccessKey), `a secret in the ${where}`).toBe(false);
        expect(text.includes(pair.accessKeyId), `an access key id in the ${where}`).toBe(false);
      }
    }
  });
});
