import { newId, type FakeMattermostStore, type FakeUser } from './mattermost-store.js';

/** Shapes and answers shared by the fake's routes. */
export interface RouteResult {
  status: number;
  body: unknown;
}

export interface RouteContext {
  store: FakeMattermostStore;
  user: FakeUser;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  form: FormData | undefined;
  now: number;
}

export interface Route {
  method: string;
  pattern: RegExp;
  handle(context: RouteContext): RouteResult | Promise<RouteResult>;
}

/** Mattermost's limits on a post. */
export const POST_MESSAGE_MAX_RUNES = 16_383;
export const POST_PROPS_MAX_RUNES = 800_000;
/** `InteractiveDialogTriggerTimeoutMilliseconds` in the server. */
export const DIALOG_TRIGGER_TIMEOUT_MS = 3000;

export function ok(status: number, body: unknown): RouteResult {
  return { status, body };
}

export function fail(status: number, id: string, message: string): RouteResult {
  return { status, body: { id, message, detailed_error: '', request_id: newId(), status_code: status } };
}

export const forbidden = (): RouteResult => fail(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
export const badParam = (name: string): RouteResult =>
  fail(400, 'api.context.invalid_body_param.app_error', `Invalid or missing ${name} in request body.`);

export function isAdmin(user: FakeUser): boolean {
  return user.roles.split(' ').includes('system_admin');
}

