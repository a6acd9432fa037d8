import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { badParam, fail, forbidden, isAdmin, ok, type Route } from './mattermost-route-kit.js';
import { newId, type FakeBot, type FakeCommand, type FakeUser } from './mattermost-store.js';

/** Users, bots, teams, access tokens and slash commands: what the setup script and the adapter's start-up call. */

const USERNAME = /^[a-z][a-z0-9._-]{2,21}$/;
const missingUser = () => fail(404, 'app.user.missing_account.const', 'Unable to find the user.');
const missingTeam = () => fail(404, 'app.team.get_by_name.missing.app_error', 'Unable to find the existing team.');

function publicUser(user: FakeUser) {
  return { id: user.id, username: user.username, email: user.email, is_bot: user.is_bot, roles: user.roles, delete_at: user.delete_at };
}

export const identityRoutes: Route[] = [
  {
    // GetConfig: system admins only; the fake holds one setting of it.
    method: 'GET',
    pattern: /^\/config$/,
    handle: ({ store, user }) => (isAdmin(user) ? ok(200, { PrivacySettings: { ShowEmailAddress: store.showEmailAddress } }) : forbidden()),
  },
  { method: 'GET', pattern: /^\/users\/me$/, handle: ({ user }) => ok(200, publicUser(user)) },
  {
    method: 'GET',
    pattern: /^\/users\/username\/(?<name>[^/]+)$/,
    handle({ store, params }) {
      const user = store.userByName(decodeURIComponent(params.name!));
      return user ? ok(200, publicUser(user)) : missingUser();
    },
  },
  {
    // GetUsersByUsernames: the users found among those named, in no set order; unknown names are left out.
    method: 'POST',
    pattern: /^\/users\/usernames$/,
    handle({ store, body }) {
      const parsed = z.array(z.string()).min(1).safeParse(body);
      if (!parsed.success) return fail(400, 'api.context.invalid_body_param.app_error', 'Invalid or missing usernames in request body.');
      const found = [...new Set(parsed.data)].flatMap((name) => {
        const user = store.userByName(name);
        return user ? [publicUser(user)] : [];
      });
      return ok(200, found);
    },
  },
  {
    // SearchUsers: active accounts whose username contains the term (bots too, as Mattermost answers).
    method: 'POST',
    pattern: /^\/users\/search$/,
    handle({ store, body }) {
      const parsed = z.object({ term: z.string().min(1), limit: z.number().int().min(1).max(1000).optional() }).safeParse(body);
      if (!parsed.success) return badParam('term');
      const term = parsed.data.term.toLowerCase();
      const found = [...store.users.values()].filter((user) => user.delete_at === 0 && user.username.toLowerCase().includes(term));
      return ok(200, found.slice(0, parsed.data.limit ?? 100).map(publicUser));
    },
  },
  {
    // GetUserByEmail: refused (before any lookup) unless the caller is a system admin or ShowEmailAddress is on.
    method: 'GET',
    pattern: /^\/users\/email\/(?<email>.+)$/,
    handle({ store, user: caller, params }) {
      const email = decodeURIComponent(params.email!).toLowerCase();
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(email)) return fail(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing email parameter in request URL.');
      if (!store.showEmailAddress && !isAdmin(caller)) {
        return fail(403, 'api.user.get_user_by_email.permissions.app_error', 'Unable to get user by email.');
      }
      const user = [...store.users.values()].find((candidate) => candidate.email.toLowerCase() === email);
      return user ? ok(200, publicUser(user)) : missingUser();
    },
  },
  {
    method: 'GET',
    pattern: /^\/users\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, params }) {
      const user = store.users.get(params.id!);
      return user ? ok(200, publicUser(user)) : missingUser();
    },
  },
  {
    method: 'POST',
    pattern: /^\/users$/,
    handle({ store, user, body }) {
      if (!isAdmin(user)) return forbidden();
      const parsed = z.object({ username: z.string(), email: z.string().optional() }).safeParse(body);
      if (!parsed.success || !USERNAME.test(parsed.data.username)) return badParam('user');
      if (store.userByName(parsed.data.username)) {
        return fail(400, 'app.user.save.username_exists.app_error', 'An account with that username already exists.');
      }
      return ok(201, publicUser(store.addUser({ username: parsed.data.username })));
    },
  },
  {
    method: 'POST',
    pattern: /^\/users\/(?<id>[A-Za-z0-9]+)\/tokens$/,
    handle({ store, user, params, body }) {
      if (!isAdmin(user) && user.id !== params.id) return forbidden();
      if (!store.users.has(params.id!)) return missingUser();
      const parsed = z.object({ description: z.string().min(1) }).safeParse(body);
      if (!parsed.success) return badParam('description');
      const token = store.addToken(params.id!, randomBytes(13).toString('hex'), parsed.data.description);
      return ok(200, token);
    },
  },
  {
    method: 'GET',
    pattern: /^\/users\/(?<id>[A-Za-z0-9]+)\/tokens$/,
    handle({ store, user, params }) {
      if (!isAdmin(user) && user.id !== params.id) return forbidden();
      const tokens = [...store.tokens.values()].filter((token) => token.user_id === params.id);
      return ok(200, tokens.map(({ token: _secret, ...rest }) => rest));
    },
  },
  {
    method: 'POST',
    pattern: /^\/bots$/,
    handle({ store, user, body, now }) {
      if (!isAdmin(user)) return forbidden();
      const parsed = z.object({ username: z.string(), display_name: z.string().optional(), description: z.string().optional() }).safeParse(body);
      if (!parsed.success || !USERNAME.test(parsed.data.username)) return badParam('bot');
      if (store.userByName(parsed.data.username)) {
        return fail(400, 'app.user.save.username_exists.app_error', 'An account with that username already exists.');
      }
      const botUser = store.addUser({ username: parsed.data.username, isBot: true });
      const bot: FakeBot = {
        user_id: botUser.id,
        username: botUser.username,
        display_name: parsed.data.display_name ?? '',
        description: parsed.data.description ?? '',
        owner_id: user.id,
        create_at: now,
        update_at: now,
        delete_at: 0,
      };
      store.bots.set(bot.user_id, bot);
      return ok(201, bot);
    },
  },
  {
    method: 'GET',
    pattern: /^\/bots$/,
    handle({ store, user, query }) {
      if (!isAdmin(user)) return forbidden();
      const includeDeleted = query.get('include_deleted') === 'true';
      const page = Number(query.get('page') ?? 0);
      const perPage = Number(query.get('per_page') ?? 60);
      const bots = [...store.bots.values()].filter((bot) => includeDeleted || bot.delete_at === 0);
      return ok(200, bots.slice(page * perPage, (page + 1) * perPage));
    },
  },
  {
    method: 'PUT',
    pattern: /^\/bots\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, user, params, body, now }) {
      if (!isAdmin(user)) return forbidden();
      const bot = store.bots.get(params.id!);
      if (!bot) return fail(404, 'store.sql_bot.get.missing.app_error', 'Bot does not exist.');
      const parsed = z.object({ username: z.string(), display_name: z.string().optional(), description: z.string().optional() }).safeParse(body);
      if (!parsed.success) return badParam('bot');
      Object.assign(bot, { ...parsed.data, update_at: now });
      return ok(200, bot);
    },
  },
  {
    method: 'POST',
    pattern: /^\/bots\/(?<id>[A-Za-z0-9]+)\/enable$/,
    handle({ store, user, params, now }) {
      if (!isAdmin(user)) return forbidden();
      const bot = store.bots.get(params.id!);
      if (!bot) return fail(404, 'store.sql_bot.get.missing.app_error', 'Bot does not exist.');
      Object.assign(bot, { delete_at: 0, update_at: now });
      store.users.get(bot.user_id)!.delete_at = 0;
      return ok(200, bot);
    },
  },
  {
    method: 'GET',
    pattern: /^\/teams\/name\/(?<name>[^/]+)$/,
    handle({ store, params }) {
      const team = [...store.teams.values()].find((item) => item.name === decodeURIComponent(params.name!));
      return team ? ok(200, { id: team.id, name: team.name, display_name: team.display_name }) : missingTeam();
    },
  },
  {
    method: 'GET',
    pattern: /^\/teams\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, params }) {
      const team = store.teams.get(params.id!);
      return team ? ok(200, { id: team.id, name: team.name, display_name: team.display_name }) : missingTeam();
    },
  },
  {
    method: 'POST',
    pattern: /^\/teams\/(?<id>[A-Za-z0-9]+)\/members$/,
    handle({ store, user, params, body }) {
      const team = store.teams.get(params.id!);
      if (!team) return missingTeam();
      if (!isAdmin(user)) return forbidden();
      const parsed = z.object({ user_id: z.string().min(1), team_id: z.string().optional() }).safeParse(body);
      if (!parsed.success || !store.users.has(parsed.data.user_id)) return badParam('user_id');
      team.members.add(parsed.data.user_id);
      return ok(201, { team_id: team.id, user_id: parsed.data.user_id, roles: 'team_user' });
    },
  },
];

const commandInput = z.object({
  team_id: z.string().min(1),
  trigger: z.string().min(1).max(128).regex(/^[^/\s]/, 'no leading slash or space'),
  method: z.enum(['P', 'G']),
  url: z.url({ protocol: /^https?$/ }),
  username: z.string().default(''),
  icon_url: z.string().default(''),
  auto_complete: z.boolean().default(false),
  auto_complete_desc: z.string().default(''),
  auto_complete_hint: z.string().default(''),
  display_name: z.string().default(''),
  description: z.string().default(''),
});

export const commandRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/commands$/,
    handle({ store, user, query }) {
      if (!isAdmin(user)) return forbidden();
      const teamId = query.get('team_id');
      if (!teamId || !store.teams.has(teamId)) return fail(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing team_id parameter in request URL.');
      const commands = [...store.commands.values()].filter((command) => command.team_id === teamId && command.delete_at === 0);
      return ok(200, commands);
    },
  },
  {
    method: 'POST',
    pattern: /^\/commands$/,
    handle({ store, user, body, now }) {
      if (!isAdmin(user)) return forbidden();
      const parsed = commandInput.safeParse(body);
      if (!parsed.success) return badParam('command');
      if (!store.teams.has(parsed.data.team_id)) return badParam('team_id');
      const duplicate = [...store.commands.values()].some(
        (command) => command.team_id === parsed.data.team_id && command.trigger === parsed.data.trigger && command.delete_at === 0,
      );
      if (duplicate) return fail(400, 'api.command.duplicate_trigger.app_error', 'This trigger word is already in use. Please choose another word.');
      const command: FakeCommand = { ...parsed.data, id: newId(), token: newId(), creator_id: user.id, create_at: now, update_at: now, delete_at: 0 };
      store.commands.set(command.id, command);
      return ok(201, command);
    },
  },
  {
    method: 'PUT',
    pattern: /^\/commands\/(?<id>[A-Za-z0-9]+)$/,
    handle({ store, user, params, body, now }) {
      if (!isAdmin(user)) return forbidden();
      const command = store.commands.get(params.id!);
      if (!command || command.delete_at !== 0) return fail(404, 'app.command.getcommand.app_error', 'Unable to find the command.');
      const parsed = commandInput.safeParse(body);
      if (!parsed.success || parsed.data.team_id !== command.team_id) return badParam('command');
      // Like the server: the token, creator and creation time are kept whatever the body says.
      Object.assign(command, { ...parsed.data, update_at: now });
      return ok(200, command);
    },
  },
];
