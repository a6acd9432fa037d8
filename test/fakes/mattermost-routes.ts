import { z } from 'zod';
import { newId, type FakePost } from './mattermost-store.js';
import { commandRoutes, identityRoutes } from './mattermost-admin-routes.js';
import {
  badParam, DIALOG_TRIGGER_TIMEOUT_MS, fail, forbidden, isAdmin, ok, POST_MESSAGE_MAX_RUNES, POST_PROPS_MAX_RUNES,
  type Route, type RouteContext, type RouteResult,
} from './mattermost-route-kit.js';


/** The REST API v4 routes the fake serves (paths relative to /api/v4), with Mattermost's status codes. */

const postInput = z.object({
  channel_id: z.string().min(1),
  message: z.string().default(''),
  root_id: z.string().optional(),
  file_ids: z.array(z.string()).optional(),
  props: z.record(z.string(), z.unknown()).optional(),
});

const postPatch = z.object({
  message: z.string().optional(),
  props: z.record(z.string(), z.unknown()).optional(),
  file_ids: z.array(z.string()).optional(),
});

function runes(text: string): number {
  return [...text].length;
}

function checkPostSize(message: string, props: Record<string, unknown>): RouteResult | undefined {
  if (runes(message) > POST_MESSAGE_MAX_RUNES) {
    return fail(400, 'model.post.is_valid.message_length.app_error', `Post Message property is longer than the maximum permitted length of ${POST_MESSAGE_MAX_RUNES} characters.`);
  }
  if (runes(JSON.stringify(props)) > POST_PROPS_MAX_RUNES) return fail(400, 'model.post.is_valid.props.app_error', 'Invalid props.');
  return undefined;
}

function createPost({ store, user, body, now }: RouteContext, ephemeralFor?: string): RouteResult {
  const parsed = postInput.safeParse(body);
  if (!parsed.success) return badParam('post');
  const input = parsed.data;
  const channel = store.channels.get(input.channel_id);
  if (!channel) return fail(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
  if (!channel.members.has(user.id) && !isAdmin(user)) return forbidden();
  const props = input.props ?? {};
  const tooLarge = checkPostSize(input.message, props);
  if (tooLarge) return tooLarge;
  if (input.root_id) {
    const root = store.posts.get(input.root_id);
    if (!root || root.channel_id !== channel.id || root.root_id !== '') {
      return fail(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
    }
  }
  const fileIds = input.file_ids ?? [];
  for (const fileId of fileIds) {
    const file = store.files.get(fileId);
    if (!file || file.user_id !== user.id || file.post_id !== '') return badParam('file_ids');
  }
  const post: FakePost = {
    id: newId(),
    channel_id: channel.id,
    user_id: user.id,
    root_id: input.root_id ?? '',
    message: input.message,
    props,
    file_ids: fileIds,
    create_at: now,
    update_at: now,
    edit_at: 0,
    ...(ephemeralFor ? { ephemeral_for: ephemeralFor } : {}),
  };
  for (const fileId of fileIds) store.files.get(fileId)!.post_id = post.id;
  store.posts.set(post.id, post);
  store.record('posted', post);
  return ok(201, post);
}

const postRoutes: Route[] = [
  { method: 'POST', pattern: /^\/posts$/, handle: (context) => createPost(context) },
  {
    method: 'POST',
    pattern: /^\/posts\/ephemeral$/,
    handle(context) {
      // `create_post_ephemeral` is a system admin permission by default: bots don't have it.
      if (!isAdmin(context.user)) return forbidden();
      const parsed = z.object({ user_id: z.string().min(1), post: z.unknown() }).safeParse(context.body);
      if (!parsed.success) return badParam('user_id');
      return createPost({ ...context, body: parsed.data.post }, parsed.data.user_id);
    },
  },
  {
    method: 'GET',
    pattern: /^\/posts\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, params }) {
      const post = store.posts.get(params.id!);
      return post ? ok(200, post) : fail(404, 'app.post.get.app_error', 'Unable to get the post.');
    },
  },
  {
    method: 'PUT',
    pattern: /^\/posts\/(?<id>[A-Za-z0-9]+)\/patch$/,
    handle({ store, user, params, body, now }) {
      const post = store.posts.get(params.id!);
      if (!post) return fail(404, 'app.post.get.app_error', 'Unable to get the post.');
      if (post.user_id !== user.id && !isAdmin(user)) return forbidden();
      const parsed = postPatch.safeParse(body);
      if (!parsed.success) return badParam('post');
      const message = parsed.data.message ?? post.message;
      const props = parsed.data.props ?? post.props;
      const tooLarge = checkPostSize(message, props);
      if (tooLarge) return tooLarge;
      Object.assign(post, { message, props, update_at: now, edit_at: now });
      store.record('edited', post);
      return ok(200, post);
    },
  },
];

const missingChannel = () => fail(404, 'app.channel.get_by_name.missing.app_error', 'Channel does not exist.');

function publicChannel(channel: { id: string; team_id: string; type: string; name: string; display_name: string }) {
  return { id: channel.id, team_id: channel.team_id, type: channel.type, name: channel.name, display_name: channel.display_name };
}

const channelRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/teams\/(?<team>[A-Za-z0-9]+)\/channels\/name\/(?<name>[^/]+)$/,
    handle({ store, params }) {
      const channel = [...store.channels.values()].find((item) => item.team_id === params.team && item.name === decodeURIComponent(params.name!));
      return channel ? ok(200, publicChannel(channel)) : missingChannel();
    },
  },
  {
    method: 'GET',
    pattern: /^\/channels\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, params }) {
      const channel = store.channels.get(params.id!);
      return channel ? ok(200, publicChannel(channel)) : missingChannel();
    },
  },
  {
    method: 'POST',
    pattern: /^\/channels\/direct$/,
    handle({ store, user, body }) {
      const parsed = z.array(z.string().min(1)).min(1).max(2).safeParse(body);
      if (!parsed.success) return badParam('user_ids');
      const [first, second = first] = parsed.data as [string, string?];
      if (!store.users.has(first) || !store.users.has(second!)) return badParam('user_ids');
      if (first !== user.id && second !== user.id && !isAdmin(user)) return forbidden();
      const { channel } = store.directChannel(first, second!);
      return ok(201, { id: channel.id, type: channel.type, name: channel.name, team_id: '', display_name: '' });
    },
  },
  {
    method: 'POST',
    pattern: /^\/channels\/(?<id>[A-Za-z0-9]+)\/members$/,
    handle({ store, user, params, body }) {
      const channel = store.channels.get(params.id!);
      if (!channel) return fail(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      const parsed = z.object({ user_id: z.string().min(1) }).safeParse(body);
      if (!parsed.success || !store.users.has(parsed.data.user_id)) return badParam('user_id');
      if (!channel.members.has(user.id) && !isAdmin(user)) return forbidden();
      channel.members.add(parsed.data.user_id);
      return ok(201, { channel_id: channel.id, user_id: parsed.data.user_id });
    },
  },
];

const fileRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/files$/,
    async handle({ store, user, form, now }) {
      if (!form) return fail(400, 'api.file.upload_file.read_request.app_error', 'Unable to upload file(s). Error reading or parsing request data.');
      const names = [...form.keys()];
      // The server streams the multipart body: channel_id has to arrive before the first file.
      const channelIndex = names.indexOf('channel_id');
      const fileIndex = names.indexOf('files');
      if (channelIndex < 0 || (fileIndex >= 0 && fileIndex < channelIndex)) {
        return fail(400, 'api.file.upload_file.multipart.app_error', 'Unable to upload file(s). Missing or misplaced channel_id.');
      }
      const channel = store.channels.get(String(form.get('channel_id')));
      if (!channel) return fail(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (!channel.members.has(user.id) && !isAdmin(user)) return forbidden();
      const uploads = form.getAll('files').filter((item) => typeof item !== 'string');
      if (uploads.length === 0) return fail(400, 'api.file.upload_file.incorrect_number_of_files.app_error', 'Unable to upload files. Incorrect number of files specified.');
      const fileInfos = [];
      for (const upload of uploads) {
        const content = Buffer.from(await upload.arrayBuffer());
        const extension = upload.name.includes('.') ? upload.name.split('.').pop()! : '';
        const file = { id: newId(), user_id: user.id, channel_id: channel.id, name: upload.name, extension, mime_type: upload.type || 'application/octet-stream', size: content.length, content, post_id: '' };
        store.files.set(file.id, file);
        const { content: _content, ...info } = file;
        fileInfos.push({ ...info, create_at: now, update_at: now, delete_at: 0 });
      }
      return ok(201, { file_infos: fileInfos, client_ids: [] });
    },
  },
];

const dialogRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/actions\/dialogs\/open$/,
    handle({ store, body, now }) {
      const parsed = z
        .object({ trigger_id: z.string().min(1), url: z.url(), dialog: z.object({ title: z.string().min(1) }).passthrough() })
        .safeParse(body);
      if (!parsed.success) return badParam('dialog');
      const trigger = store.triggers.get(parsed.data.trigger_id);
      if (!trigger) return fail(400, 'interactive_message.decode_trigger_id.signature_decode_failed', 'Failed to decode base64 for trigger ID for interactive dialog.');
      if (now - trigger.issuedAt > DIALOG_TRIGGER_TIMEOUT_MS) {
        return fail(400, 'interactive_message.decode_trigger_id.expired', `Trigger ID for interactive dialog is expired. Maximum time to live is ${DIALOG_TRIGGER_TIMEOUT_MS}ms.`);
      }
      store.dialogs.push({ trigger_id: parsed.data.trigger_id, user_id: trigger.userId, url: parsed.data.url, dialog: parsed.data.dialog, opened_at: now });
      return ok(200, { status: 'OK' });
    },
  },
];

export const MATTERMOST_ROUTES: Route[] = [...identityRoutes, ...commandRoutes, ...postRoutes, ...channelRoutes, ...fileRoutes, ...dialogRoutes];
