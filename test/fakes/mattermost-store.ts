import { randomBytes } from 'node:crypto';

/** What the fake Mattermost server holds: the objects of REST API v4 the bot and the setup script touch. */

export interface FakeUser {
  id: string;
  username: string;
  email: string;
  is_bot: boolean;
  roles: string;
  delete_at: number;
}

export interface FakeBot {
  user_id: string;
  username: string;
  display_name: string;
  description: string;
  owner_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

export interface FakeTeam {
  id: string;
  name: string;
  display_name: string;
  members: Set<string>;
}

export interface FakeChannel {
  id: string;
  team_id: string;
  /** `O` open, `P` private, `D` direct. */
  type: 'O' | 'P' | 'D';
  name: string;
  display_name: string;
  members: Set<string>;
}

export interface FakePost {
  id: string;
  channel_id: string;
  user_id: string;
  root_id: string;
  message: string;
  props: Record<string, unknown>;
  file_ids: string[];
  create_at: number;
  update_at: number;
  edit_at: number;
  /** Set on ephemeral posts (sent to one user only, never stored by a real server). */
  ephemeral_for?: string;
}

export interface FakeFile {
  id: string;
  user_id: string;
  channel_id: string;
  name: string;
  extension: string;
  mime_type: string;
  size: number;
  content: Buffer;
  post_id: string;
}

export interface FakeCommand {
  id: string;
  token: string;
  creator_id: string;
  team_id: string;
  trigger: string;
  method: 'P' | 'G';
  url: string;
  username: string;
  icon_url: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
  description: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

export interface FakeAccessToken {
  id: string;
  token: string;
  user_id: string;
  description: string;
  is_active: boolean;
}

export interface FakeDialog {
  trigger_id: string;
  user_id: string;
  url: string;
  dialog: {
    callback_id?: string;
    title?: string;
    state?: string;
    submit_label?: string;
    elements?: { name: string; display_name?: string; type?: string; max_length?: number; min_length?: number }[];
  };
  opened_at: number;
}

/** What people saw happen, in order: for transcripts. Each entry keeps the post as it was then. */
export interface TimelineEntry {
  kind: 'posted' | 'edited';
  postId: string;
  post: FakePost;
}

/** A 26-character id in Mattermost's alphabet. */
export function newId(): string {
  const alphabet = 'abcdefghijkmnopqrstuwxyz13456789';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % alphabet.length]).join('');
}

export class FakeMattermostStore {
  readonly users = new Map<string, FakeUser>();
  readonly bots = new Map<string, FakeBot>();
  readonly teams = new Map<string, FakeTeam>();
  readonly channels = new Map<string, FakeChannel>();
  readonly posts = new Map<string, FakePost>();
  readonly files = new Map<string, FakeFile>();
  readonly commands = new Map<string, FakeCommand>();
  /** Personal access tokens by token value (sessions of the fake). */
  readonly tokens = new Map<string, FakeAccessToken>();
  /** Trigger ids handed out with clicks and commands: user and time of issue. */
  readonly triggers = new Map<string, { userId: string; issuedAt: number }>();
  readonly dialogs: FakeDialog[] = [];
  /** PrivacySettings.ShowEmailAddress (on by default, as in Mattermost): off, only system admins see addresses. */
  showEmailAddress = true;
  readonly timeline: TimelineEntry[] = [];

  constructor(private readonly now: () => number) {}

  addUser(input: { username: string; id?: string; isBot?: boolean; admin?: boolean }): FakeUser {
    const user: FakeUser = {
      id: input.id ?? newId(),
      username: input.username,
      email: `${input.username}@example.test`,
      is_bot: input.isBot ?? false,
      roles: input.admin ? 'system_user system_admin' : 'system_user',
      delete_at: 0,
    };
    this.users.set(user.id, user);
    return user;
  }

  userByName(username: string): FakeUser | undefined {
    return [...this.users.values()].find((user) => user.username === username);
  }

  addToken(userId: string, token: string = newId(), description = 'token'): FakeAccessToken {
    const record: FakeAccessToken = { id: newId(), token, user_id: userId, description, is_active: true };
    this.tokens.set(token, record);
    return record;
  }

  addTeam(name: string, id: string = newId()): FakeTeam {
    const team: FakeTeam = { id, name, display_name: name, members: new Set() };
    this.teams.set(team.id, team);
    return team;
  }

  addChannel(input: { name: string; teamId?: string; id?: string; members?: string[]; type?: 'O' | 'P' }): FakeChannel {
    const channel: FakeChannel = {
      id: input.id ?? newId(),
      team_id: input.teamId ?? '',
      type: input.type ?? 'O',
      name: input.name,
      display_name: input.name,
      members: new Set(input.members ?? []),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  findDirectChannel(a: string, b: string): FakeChannel | undefined {
    const name = [a, b].sort().join('__');
    return [...this.channels.values()].find((channel) => channel.type === 'D' && channel.name === name);
  }

  /** The DM channel of two users, created on first use like `POST /channels/direct`. */
  directChannel(a: string, b: string): { channel: FakeChannel; created: boolean } {
    const name = [a, b].sort().join('__');
    const existing = this.findDirectChannel(a, b);
    if (existing) return { channel: existing, created: false };
    const channel: FakeChannel = { id: newId(), team_id: '', type: 'D', name, display_name: '', members: new Set([a, b]) };
    this.channels.set(channel.id, channel);
    return { channel, created: true };
  }

  /** A custom slash command, as the setup script (or an admin) would create it. */
  addCommand(input: { teamId: string; trigger: string; url: string; creatorId: string; method?: 'P' | 'G' }): FakeCommand {
    const now = this.now();
    const command: FakeCommand = {
      id: newId(),
      token: newId(),
      creator_id: input.creatorId,
      team_id: input.teamId,
      trigger: input.trigger,
      method: input.method ?? 'P',
      url: input.url,
      username: '',
      icon_url: '',
      auto_complete: true,
      auto_complete_desc: '',
      auto_complete_hint: '',
      display_name: input.trigger,
      description: '',
      create_at: now,
      update_at: now,
      delete_at: 0,
    };
    this.commands.set(command.id, command);
    return command;
  }

  issueTrigger(userId: string): string {
    const trigger = `${newId()}:${userId}`;
    this.triggers.set(trigger, { userId, issuedAt: this.now() });
    return trigger;
  }

  /** Notes a post or an edit in the timeline, with a copy of the post as it is now. */
  record(kind: TimelineEntry['kind'], post: FakePost): void {
    this.timeline.push({ kind, postId: post.id, post: structuredClone(post) });
  }

  /** How many times a post was edited. */
  editsOf(postId: string): number {
    return this.timeline.filter((entry) => entry.kind === 'edited' && entry.postId === postId).length;
  }

  /** Posts in creation order (the map keeps insertion order), optionally of one channel. */
  postList(channelId?: string): FakePost[] {
    return [...this.posts.values()].filter((post) => channelId === undefined || post.channel_id === channelId);
  }
}
