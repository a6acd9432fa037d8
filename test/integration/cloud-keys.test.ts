import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { cloudKeys, credentialsCheck } from '../../src/db/schema/cloud-keys.js';
import { environments } from '../../src/db/schema/environments.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import { chatActor } from '../../src/domain/actor.js';
import { FieldErrors } from '../../src/domain/cloud-keys.js';
import { parseCatalog } from '../../src/domain/presets.js';
import type { UserRef } from '../../src/domain/users.js';
import { AppError } from '../../src/errors.js';
import type { Services } from '../../src/services.js';
import { checkCredentialsKeyAtStart, credentialsForLab, CredentialsKeyError, rekeyCloudKeys } from '../../workflows/cloud-key-vault.js';
import {
  addCloudKey,
  deleteCloudKey,
  listCloudKeys,
  rotateCloudKey,
  setDefaultCloudKey,
} from '../../workflows/cloud-keys.js';
import { runDeploy } from '../../workflows/deploy.js';
import { runDestroy } from '../../workflows/destroy-job.js';
import { requestEnvironment } from '../../workflows/request.js';
import { FakeSts } from '../fakes/sts.js';
import { capturingLogger, everyTableAsText, newCredentialsKey, newPair, type TestPair } from '../support/cloud-keys.js';
import { RecordingJobQueue } from '../support/command-kit.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { buildServices } from '../support/services.js';

const admin: UserRef = { platform: 'slack', id: 'U0ADMIN', name: 'carol' };
const member: UserRef = { platform: 'slack', id: 'U0MEMBER', name: 'mallory' };
const asAdmin = chatActor(admin);
const asMember = chatActor(member);

let database: TestDatabase;
let s: Services;
let jobs: RecordingJobQueue;
let captured: ReturnType<typeof capturingLogger>;
let sts: FakeSts;
const credentialsKey = newCredentialsKey();
let request = 0;

const where = () => ({ requestId: `req-${++request}`, channelId: 'C0ADMIN' });

function keyInput(name: string, pair: TestPair, region = 'eu-west-1') {
  return { name, provider: 'aws', region, ...pair };
}

async function servicesWith(settings: Record<string, string>): Promise<Services> {
  const built = await buildServices({
    db: database.db,
    settings: {
      ADMINS: `slack:${admin.id}`,
      MAX_ACTIVE_PER_USER: '50',
      LOCAL_PROVISIONER_STEP_MS: '0',
      LOG_LEVEL: 'trace',
      CREDENTIALS_KEY: credentialsKey,
      ...settings,
    },
    clock: new ManualClock('2026-11-26T12:00:00.000Z'),
    jobs,
    log: captured.log,
    notifiers: [new RecordingNotifier('slack')],
  });
  // A preset that names its key, besides the catalog's own.
  built.catalog = parseCatalog({
    tools: { 'code-server': { name: 'code-server', image: 'codercom/code-server:4.9.1', port: 8443, memoryMb: 512 } },
    presets: [
      { id: 'open-lab', name: 'Open lab', tools: ['code-server'], defaultTtl: '2h', maxTtl: '8h', approval: 'none', instanceSize: 't3.small', hourlyCostUsd: 0.1 },
      {
        id: 'prod-lab', name: 'Prod lab', tools: ['code-server'], defaultTtl: '2h', maxTtl: '8h', approval: 'none', instanceSize: 't3.small',
        hourlyCostUsd: 0.1, cloudKey: 'prod',
      },
    ],
  });
  return built;
}

async function refusalOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function entries(eventType: string) {
  return database.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(asc(auditLog.id));
}

const run = () => ({ attempt: 1, signal: new AbortController().signal });

beforeAll(async () => {
  sts = await FakeSts.start();
});
afterAll(async () => {
  await sts.close();
});
beforeEach(async () => {
  database = await createTestDatabase();
  jobs = new RecordingJobQueue();
  captured = capturingLogger('trace');
  s = await servicesWith({});
});
afterEach(async () => {
  await database.drop();
});

describe('adding a cloud key', () => {
  it('seals the pair, shows only the last four characters of the access key id, makes the first key the default, and audits it', async () => {
    const pair = newPair();
    const added = await addCloudKey(s, { actor: asAdmin, key: keyInput('Lab-Account', pair), ...where() });
    expect(added).toMatchObject({ name: 'lab-account', provider: 'aws', region: 'eu-west-1', isDefault: true, accountId: null, addedByName: 'carol' });
    expect(added.maskedAccessKeyId).toBe(`…${pair.accessKeyId.slice(-4)}`);
    const [row] = await database.db.select().from(cloudKeys);
    expect(row!.sealedPair).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(pair.secretAccessKey);
    expect(JSON.stringify(row)).not.toContain(pair.accessKeyId);
    const [entry] = await entries('cloud_key.added');
    expect(entry).toMatchObject({ outcome: 'ok', actorId: admin.id, resourceType: 'cloud_key', resourceId: added.id, category: 'credentials' });
    expect(entry!.details).toMatchObject({ name: 'lab-account', provider: 'aws', masked_id: added.maskedAccessKeyId, default: true, verified: false });
    const second = await addCloudKey(s, { actor: asAdmin, key: keyInput('second', newPair()), ...where() });
    expect(second.isDefault).toBe(false);
    expect((await listCloudKeys(s, asAdmin)).map((key) => [key.name, key.isDefault])).toEqual([['lab-account', true], ['second', false]]);
  });

  it('refuses anyone but an admin, list included, and audits the refused change with its reason', async () => {
    expect((await refusalOf(listCloudKeys(s, asMember))).code).toBe('forbidden');
    const refused = await refusalOf(addCloudKey(s, { actor: asMember, key: keyInput('mine', newPair()), ...where() }));
    expect(refused).toMatchObject({ code: 'forbidden', message: 'Only admins can manage cloud keys.' });
    expect(await database.db.select().from(cloudKeys)).toEqual([]);
    const [entry] = await entries('cloud_key.added');
    expect(entry).toMatchObject({ outcome: 'denied', actorId: member.id });
    expect(entry!.details).toMatchObject({ name: 'mine', error: 'forbidden', reason: 'Only admins can manage cloud keys.' });
  });

  it('refuses bad fields one by one without repeating what was typed, and a name in use', async () => {
    const refused = await refusalOf(
      addCloudKey(s, { actor: asAdmin, key: { name: 'x', provider: 'gcp', accessKeyId: 'AKIAshort', secretAccessKey: 'too-short-secret', region: 'mars' }, ...where() }),
    );
    expect(refused).toBeInstanceOf(FieldErrors);
    const problems = (refused as FieldErrors).problems;
    expect(Object.keys(problems).sort()).toEqual(['accessKeyId', 'name', 'provider', 'region', 'secretAccessKey']);
    expect(JSON.stringify(problems)).not.toMatch(/AKIAshort|too-short-secret/);
    expect((await entries('cloud_key.added'))[0]).toMatchObject({ outcome: 'invalid' });
    await addCloudKey(s, { actor: asAdmin, key: keyInput('taken', newPair()), ...where() });
    const duplicate = await refusalOf(addCloudKey(s, { actor: asAdmin, key: keyInput('taken', newPair()), ...where() }));
    expect((duplicate as FieldErrors).problems).toEqual({ name: 'A key with this name exists already; rotate it, or choose another name.' });
  });

  it('is refused without CREDENTIALS_KEY, with how to make one', async () => {
    const without = await servicesWith({ CREDENTIALS_KEY: '' });
    const refused = await refusalOf(addCloudKey(without, { actor: asAdmin, key: keyInput('lab', newPair()), ...where() }));
    expect(refused.code).toBe('credentials_key_missing');
    expect(refused.hint).toMatch(/openssl rand -base64 32/);
    expect(await database.db.select().from(cloudKeys)).toEqual([]);
  });
});

describe('verification with STS (CLOUDKEY_VERIFY=sts)', () => {
  let verified: Services;
  beforeEach(async () => {
    verified = await servicesWith({ CLOUDKEY_VERIFY: 'sts', CLOUDKEY_STS_ENDPOINT: sts.url });
    sts.calls.length = 0;
    sts.delayMs = 0;
  });

  it('stores the account of a pair AWS knows, through the real SDK', async () => {
    const pair = newPair();
    sts.know({ ...pair, account: '123456789012' });
    const added = await addCloudKey(verified, { actor: asAdmin, key: keyInput('checked', pair), ...where() });
    expect(added.accountId).toBe('123456789012');
    expect(sts.calls).toEqual([{ action: 'GetCallerIdentity', accessKeyId: pair.accessKeyId, answer: 'ok' }]);
  });

  it('refuses an unknown access key id and a wrong secret under their fields, and stores nothing', async () => {
    const pair = newPair();
    sts.know({ ...pair, account: '123456789012' });
    const unknown = await refusalOf(addCloudKey(verified, { actor: asAdmin, key: keyInput('unknown', newPair()), ...where() }));
    expect((unknown as FieldErrors).problems).toEqual({ accessKeyId: 'AWS does not know this access key id (or it is inactive).' });
    const wrongSecret = { accessKeyId: pair.accessKeyId, secretAccessKey: newPair().secretAccessKey };
    const wrong = await refusalOf(addCloudKey(verified, { actor: asAdmin, key: keyInput('wrong', wrongSecret), ...where() }));
    expect((wrong as FieldErrors).problems).toEqual({ secretAccessKey: 'AWS refused this secret access key for the access key id.' });
    expect(sts.calls.map((call) => call.answer)).toEqual(['InvalidClientTokenId', 'SignatureDoesNotMatch']);
    expect(await database.db.select().from(cloudKeys)).toEqual([]);
  });

  it('gives up within its time limit, tries once, and stores nothing', async () => {
    const pair = newPair();
    sts.know({ ...pair, account: '123456789012' });
    sts.delayMs = 4000;
    const started = performance.now();
    const refused = await refusalOf(addCloudKey(verified, { actor: asAdmin, key: keyInput('slow', pair), ...where() }));
    expect(performance.now() - started).toBeLessThan(2500);
    expect(refused.code).toBe('unavailable');
    expect(refused.message).toMatch(/could not be checked with AWS STS/);
    expect(sts.calls.length).toBeLessThanOrEqual(1);
    expect(await database.db.select().from(cloudKeys)).toEqual([]);
  });

  it('checks a rotated pair too', async () => {
    const first = newPair();
    sts.know({ ...first, account: '123456789012' });
    const added = await addCloudKey(verified, { actor: asAdmin, key: keyInput('rotating', first), ...where() });
    const refused = await refusalOf(rotateCloudKey(verified, { actor: asAdmin, keyId: added.id, pair: newPair(), ...where() }));
    expect(Object.keys((refused as FieldErrors).problems)).toEqual(['accessKeyId']);
    const second = newPair();
    sts.know({ ...second, account: '210987654321' });
    expect((await rotateCloudKey(verified, { actor: asAdmin, keyId: added.id, pair: second, ...where() })).accountId).toBe('210987654321');
  });
});

describe('labs and their keys', () => {
  it('records the key a lab uses (the preset’s, else the default), deploys and destroys with its current pair, and refuses deleting it meanwhile', async () => {
    const first = newPair();
    const key = await addCloudKey(s, { actor: asAdmin, key: keyInput('labs', first), ...where() });
    const env = await requestEnvironment(s, { actor: asMember, channelId: 'C0LABS', presetId: 'open-lab', requestId: 'r-lab' });
    expect(env.cloudKeyId).toBe(key.id);
    await runDeploy(s, env.id, run());
    const [resource] = await database.db.select().from(simulatedResources).where(eq(simulatedResources.envId, env.id));
    expect(resource!.cloudKeyId).toBe(key.id);
    expect((await listCloudKeys(s, asAdmin))[0]!.activeLabs).toEqual([env.id]);

    const inUse = await refusalOf(deleteCloudKey(s, { actor: asAdmin, keyId: key.id, ...where() }));
    expect(inUse).toMatchObject({ code: 'cloud_key_in_use', message: `The cloud key "labs" is used by the lab ${env.id}.` });
    expect((await entries('cloud_key.deleted'))[0]).toMatchObject({ outcome: 'invalid', resourceId: key.id });

    const second = newPair();
    await rotateCloudKey(s, { actor: asAdmin, keyId: key.id, pair: second, ...where() });
    expect(await credentialsForLab(s, key.id)).toMatchObject({ keyId: key.id, accessKeyId: second.accessKeyId, secretAccessKey: second.secretAccessKey });
    const [rotated] = await entries('cloud_key.rotated');
    expect(rotated!.details).toMatchObject({ name: 'labs', masked_id: `…${second.accessKeyId.slice(-4)}`, previous_masked_id: `…${first.accessKeyId.slice(-4)}` });

    await database.db.update(environments).set({ state: 'destroying', destroyReason: 'owner' }).where(eq(environments.id, env.id));
    await runDestroy(s, env.id, run());
    expect((await database.db.select().from(environments).where(eq(environments.id, env.id)))[0]!.state).toBe('destroyed');
    const deleted = await deleteCloudKey(s, { actor: asAdmin, keyId: key.id, ...where() });
    expect(deleted.name).toBe('labs');
    expect((await entries('cloud_key.deleted')).map((entry) => entry.outcome)).toEqual(['invalid', 'ok']);
    expect(await database.db.select().from(cloudKeys)).toEqual([]);
  });

  it('uses the key a preset names, and refuses a lab whose preset names a missing key or when no key is the default', async () => {
    const missing = await refusalOf(
      (async () => {
        await addCloudKey(s, { actor: asAdmin, key: keyInput('other', newPair()), ...where() });
        return requestEnvironment(s, { actor: asMember, channelId: 'C0LABS', presetId: 'prod-lab', requestId: 'r-1' });
      })(),
    );
    expect(missing).toMatchObject({ code: 'cloud_key_missing', message: 'The preset prod-lab deploys with the cloud key "prod", which does not exist.' });
    const prod = await addCloudKey(s, { actor: asAdmin, key: keyInput('prod', newPair()), ...where() });
    expect((await requestEnvironment(s, { actor: asMember, channelId: 'C0LABS', presetId: 'prod-lab', requestId: 'r-2' })).cloudKeyId).toBe(prod.id);

    await setDefaultCloudKey(s, { actor: asAdmin, name: 'prod', ...where() });
    expect((await listCloudKeys(s, asAdmin)).map((key) => [key.name, key.isDefault])).toEqual([['other', false], ['prod', true]]);
    expect((await entries('cloud_key.default_set'))[0]!.details).toMatchObject({ name: 'prod', previous: 'other' });
    const other = (await listCloudKeys(s, asAdmin)).find((key) => key.name === 'other')!;
    await setDefaultCloudKey(s, { actor: asAdmin, name: 'other', ...where() });
    await deleteCloudKey(s, { actor: asAdmin, keyId: other.id, ...where() });
    const noDefault = await refusalOf(requestEnvironment(s, { actor: asMember, channelId: 'C0LABS', presetId: 'open-lab', requestId: 'r-3' }));
    expect(noDefault).toMatchObject({ code: 'no_default_cloud_key', hint: 'An admin can choose one with `/cloudkey default <name>`.' });
  });

  it('deploys labs without a key when none is stored', async () => {
    const env = await requestEnvironment(s, { actor: asMember, channelId: 'C0LABS', presetId: 'open-lab', requestId: 'r-none' });
    expect(env.cloudKeyId).toBeNull();
    expect(await credentialsForLab(s, null)).toBeUndefined();
  });
});

describe('the master key', () => {
  it('lets a process start without CREDENTIALS_KEY while no key is stored, and stops it with one line once one is', async () => {
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: undefined })).resolves.toBeUndefined();
    await addCloudKey(s, { actor: asAdmin, key: keyInput('stored', newPair()), ...where() });
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: credentialsKey })).resolves.toBeUndefined();
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: undefined })).rejects.toThrow(
      new CredentialsKeyError('CREDENTIALS_KEY is not set, but 1 cloud key(s) are stored sealed under it: set it to the key they were sealed with.'),
    );
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: newCredentialsKey() })).rejects.toThrow(
      /^CREDENTIALS_KEY is not the key the stored cloud keys were sealed with\. Set it to the key they were sealed with, or re-key with `npm run rekey`\.$/,
    );
  });

  it('stops at a check value that was altered', async () => {
    await addCloudKey(s, { actor: asAdmin, key: keyInput('stored', newPair()), ...where() });
    const [check] = await database.db.select().from(credentialsCheck);
    const parts = check!.sealed.split('.');
    parts[3] = Buffer.from('something else entirely').toString('base64');
    await database.db.update(credentialsCheck).set({ sealed: parts.join('.') });
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: credentialsKey })).rejects.toThrow(/check value of the cloud keys was altered/);
  });

  it('re-keys every key in one transaction: the new key opens them, the old one no longer starts the bot', async () => {
    const pairs = [newPair(), newPair()];
    const keys = [];
    for (const [index, pair] of pairs.entries()) keys.push(await addCloudKey(s, { actor: asAdmin, key: keyInput(`key-${index}`, pair), ...where() }));
    const before = await database.db.select().from(cloudKeys).orderBy(asc(cloudKeys.name));
    const next = newCredentialsKey();
    const clock = new ManualClock('2026-11-27T00:00:00.000Z');

    await expect(rekeyCloudKeys(database.db, clock, { CREDENTIALS_KEY_OLD: newCredentialsKey(), CREDENTIALS_KEY: next })).rejects.toThrow(
      'CREDENTIALS_KEY_OLD is not the key the stored cloud keys were sealed with.',
    );
    expect(await database.db.select().from(cloudKeys).orderBy(asc(cloudKeys.name))).toEqual(before);

    const result = await rekeyCloudKeys(database.db, clock, { CREDENTIALS_KEY_OLD: credentialsKey, CREDENTIALS_KEY: next });
    expect(result.rewrapped).toBe(2);
    const after = await database.db.select().from(cloudKeys).orderBy(asc(cloudKeys.name));
    expect(after.map((row) => row.sealedPair)).toEqual(before.map((row) => row.sealedPair));
    expect(after.map((row) => row.wrappedKey)).not.toEqual(before.map((row) => row.wrappedKey));
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: next })).resolves.toBeUndefined();
    await expect(checkCredentialsKeyAtStart(database.db, { CREDENTIALS_KEY: credentialsKey })).rejects.toThrow(CredentialsKeyError);
    const rekeyed = await servicesWith({ CREDENTIALS_KEY: next });
    for (const [index, key] of keys.entries()) expect(await credentialsForLab(rekeyed, key.id)).toMatchObject(pairs[index]!);
    await expect(rekeyCloudKeys(database.db, clock, { CREDENTIALS_KEY_OLD: credentialsKey, CREDENTIALS_KEY: next })).rejects.toThrow(
      'The stored cloud keys are sealed under CREDENTIALS_KEY already: nothing to do.',
    );
  });

  it('says a tampered key cannot be opened when a lab needs it', async () => {
    const key = await addCloudKey(s, { actor: asAdmin, key: keyInput('tampered', newPair()), ...where() });
    const [row] = await database.db.select().from(cloudKeys);
    const other = (await addCloudKey(s, { actor: asAdmin, key: keyInput('donor', newPair()), ...where() })).id;
    const [donor] = await database.db.select().from(cloudKeys).where(eq(cloudKeys.id, other));
    await database.db.update(cloudKeys).set({ sealedPair: donor!.sealedPair, wrappedKey: donor!.wrappedKey }).where(eq(cloudKeys.id, row!.id));
    const refused = await refusalOf(credentialsForLab(s, key.id));
    expect(refused.code).toBe('cloud_key_unreadable');
    expect(refused.message).toMatch(/^The cloud key "tampered" cannot be opened: The stored data key does not open/);
  });
});

describe('the secret never shows', () => {
  it('after add, rotate, a deploy and a destroy at LOG_LEVEL=trace: in no table and no log line, nor the full access key id', async () => {
    const verified = await servicesWith({ CLOUDKEY_VERIFY: 'sts', CLOUDKEY_STS_ENDPOINT: sts.url });
    const [first, second] = [newPair(), newPair()];
    sts.know({ ...first, account: '123456789012' });
    sts.know({ ...second, account: '123456789012' });
    const key = await addCloudKey(verified, { actor: asAdmin, key: keyInput('scan', first), ...where() });
    const env = await requestEnvironment(verified, { actor: asMember, channelId: 'C0LABS', presetId: 'open-lab', requestId: 'r-scan' });
    await runDeploy(verified, env.id, run());
    await rotateCloudKey(verified, { actor: asAdmin, keyId: key.id, pair: second, ...where() });
    await refusalOf(rotateCloudKey(verified, { actor: asAdmin, keyId: key.id, pair: { ...second, secretAccessKey: first.secretAccessKey }, ...where() }));
    await database.db.update(environments).set({ state: 'destroying', destroyReason: 'owner' }).where(eq(environments.id, env.id));
    await runDestroy(verified, env.id, run());

    const tables = await everyTableAsText(database.db);
    expect(tables).toContain(key.id);
    expect(captured.log.level).toBe('trace');
    expect(captured.lines.length).toBeGreaterThan(5);
    const logs = captured.lines.join('');
    for (const pair of [first, second]) {
      for (const [where, text] of [['tables', tables], ['logs', logs]] as const) {
        expect(text.includes(pair.secretAccessKey), `secret in ${where}`).toBe(false);
        expect(text.includes(pair.accessKeyId), `access key id in ${where}`).toBe(false);
      }
    }
    const audit = await database.db.select().from(auditLog).where(like(auditLog.eventType, 'cloud_key.%'));
    expect(audit.map((entry) => [entry.eventType, entry.outcome])).toEqual([
      ['cloud_key.added', 'ok'],
      ['cloud_key.rotated', 'ok'],
      ['cloud_key.rotated', 'invalid'],
    ]);
    expect(await database.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'deployment.completed'), eq(auditLog.resourceId, env.id)))).toHaveLength(1);
  });
});
