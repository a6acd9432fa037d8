import { CLOUD_KEY_FIELDS, CLOUD_PROVIDERS } from '../../src/domain/cloud-keys.js';
import type { CloudKeyModel } from '../models.js';
import type { DialogView, View, ViewBlock } from '../view.js';
import { code } from './format.js';

/** Cloud keys in chat: the list, the add and rotate forms, the delete confirmation and the answers. No view shows a pair. */

function day(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function keyLine(key: CloudKeyModel): string {
  const parts = [
    `${code(key.name)}${key.isDefault ? ' (default)' : ''}`,
    `${key.provider.toUpperCase()} ${code(key.maskedAccessKeyId)}`,
    key.accountId ? `account ${key.accountId}` : 'account not verified',
    key.region,
    `added by ${key.addedByName} ${day(key.addedAt)}`,
    key.rotatedAt ? `rotated ${day(key.rotatedAt)}${key.rotatedByName ? ` by ${key.rotatedByName}` : ''}` : 'never rotated',
    key.activeLabs.length > 0 ? `used by ${key.activeLabs.map(code).join(', ')}` : 'no active lab',
  ];
  return parts.join(' · ');
}

export function cloudKeyListView(keys: readonly CloudKeyModel[]): View {
  if (keys.length === 0) {
    const text = 'No cloud key is stored yet. `/cloudkey add` opens the form to add one; labs deploy with the provisioner’s own credentials until then.';
    return { text, blocks: [{ kind: 'text', text }] };
  }
  const items = keys.map(keyLine);
  const footer = 'Labs deploy with the key their preset names, else the default. `/cloudkey rotate <name>` replaces a pair; `/cloudkey delete <name>` removes an unused key.';
  return {
    text: [`Cloud keys (${keys.length}):`, ...items, footer].join('\n'),
    blocks: [{ kind: 'header', text: `Cloud keys (${keys.length})` }, { kind: 'list', items }, { kind: 'context', text: footer }],
  };
}

const SECRET_PLACEHOLDER = 'Pasted once; never shown again';

/** The add form: name, provider, the pair, the default region. */
export function addCloudKeyDialog(defaultRegion: string): DialogView {
  return {
    callbackId: 'cloudKeyAdd',
    title: 'Add a cloud key',
    submitLabel: 'Add',
    value: 'new',
    fields: [
      { kind: 'text', name: CLOUD_KEY_FIELDS.name, label: 'Name', placeholder: 'prod-labs', minLength: 2, maxLength: 40 },
      { kind: 'select', name: CLOUD_KEY_FIELDS.provider, label: 'Provider', options: CLOUD_PROVIDERS.map((provider) => ({ label: provider.toUpperCase(), value: provider })) },
      { kind: 'text', name: CLOUD_KEY_FIELDS.accessKeyId, label: 'Access key id', placeholder: 'AKIA…', minLength: 20, maxLength: 20 },
      { kind: 'secret', name: CLOUD_KEY_FIELDS.secretAccessKey, label: 'Secret access key', placeholder: SECRET_PLACEHOLDER, minLength: 40, maxLength: 40 },
      { kind: 'text', name: CLOUD_KEY_FIELDS.region, label: 'Default region', placeholder: defaultRegion, minLength: 9, maxLength: 30 },
    ],
  };
}

/** The rotate form: a new pair for one key. */
export function rotateCloudKeyDialog(key: Pick<CloudKeyModel, 'id' | 'name' | 'maskedAccessKeyId'>): DialogView {
  return {
    callbackId: 'cloudKeyRotate',
    title: `Rotate ${key.name}`.slice(0, 24),
    submitLabel: 'Rotate',
    value: key.id,
    fields: [
      { kind: 'text', name: CLOUD_KEY_FIELDS.accessKeyId, label: `New access key id (now ${key.maskedAccessKeyId})`, placeholder: 'AKIA…', minLength: 20, maxLength: 20 },
      { kind: 'secret', name: CLOUD_KEY_FIELDS.secretAccessKey, label: 'New secret access key', placeholder: SECRET_PLACEHOLDER, minLength: 40, maxLength: 40 },
    ],
  };
}

export function cloudKeyAddedView(key: CloudKeyModel): View {
  const text = `Added the cloud key ${code(key.name)} (${key.provider.toUpperCase()} ${code(key.maskedAccessKeyId)}${key.accountId ? `, account ${key.accountId}` : ''})${key.isDefault ? ': it is the default key' : ''}. Its secret is encrypted and will not be shown again.`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}

export function cloudKeyRotatedView(key: CloudKeyModel): View {
  const labs = key.activeLabs.length > 0 ? ` Labs using it (${key.activeLabs.join(', ')}) use the new pair from their next operation.` : '';
  const text = `Rotated the cloud key ${code(key.name)}: it is ${code(key.maskedAccessKeyId)} now.${labs} Deactivate the old pair in AWS once nothing uses it.`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}

/** Asks before deleting; the click checks again that no lab uses the key. */
export function deleteCloudKeyConfirmView(key: CloudKeyModel): View {
  const question = `Delete the cloud key ${code(key.name)} (${key.provider.toUpperCase()} ${code(key.maskedAccessKeyId)})?`;
  const note = key.isDefault ? 'It is the default key: labs whose preset names no key cannot be requested until another key is the default.' : 'No active lab uses it.';
  const blocks: ViewBlock[] = [
    { kind: 'text', text: question },
    { kind: 'context', text: note },
    {
      kind: 'actions',
      buttons: [
        { actionId: 'cloudKeyDelete', label: 'Delete key', style: 'danger', value: key.id },
        { actionId: 'cloudKeyKeep', label: 'Keep it', value: key.id },
      ],
    },
  ];
  return { text: `${question} ${note}`, tone: 'warning', blocks };
}

export function cloudKeyDeletedView(key: Pick<CloudKeyModel, 'name'>): View {
  const text = `Deleted the cloud key ${code(key.name)}. Deactivate its pair in AWS too.`;
  return { text, tone: 'neutral', blocks: [{ kind: 'text', text }] };
}

export function cloudKeyKeptView(): View {
  const text = 'Kept the cloud key: nothing was deleted.';
  return { text, blocks: [{ kind: 'text', text }] };
}

export function cloudKeyDefaultView(key: CloudKeyModel): View {
  const text = `${code(key.name)} is the default cloud key now: labs whose preset names no key deploy with it.`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}
