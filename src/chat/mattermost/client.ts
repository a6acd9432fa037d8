import mm from '@mattermost/client';
import type { MattermostDialog } from '../../../blocks/mattermost.js';

// @mattermost/client is CommonJS: its classes come off the default export.
const { Client4, ClientError } = mm;
export { ClientError };

type Client4Instance = InstanceType<typeof Client4>;
type Options = Parameters<Client4Instance['getOptions']>[0];

const DEFAULT_TIMEOUT_MS = 10_000;
/** Uploads (the audit CSV) may be large: they get longer. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export interface OpenDialogRequest {
  trigger_id: string;
  url: string;
  dialog: MattermostDialog;
}

/**
 * Client4 pointed at one server with the bot's token, with a time limit on every call (Client4 has none and never
 * retries) and the one REST call it lacks: opening an interactive dialog.
 */
export class MattermostClient extends Client4 {
  constructor(
    url: string,
    token: string,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    super();
    this.setUrl(url);
    this.setToken(token);
  }

  override getOptions(options: Options): ReturnType<Client4Instance['getOptions']> {
    const limit = options.body instanceof FormData ? Math.max(this.timeoutMs, UPLOAD_TIMEOUT_MS) : this.timeoutMs;
    return super.getOptions({ signal: AbortSignal.timeout(limit), ...options });
  }

  /** POST /api/v4/actions/dialogs/open; the trigger id expires 3 s after the click. */
  openDialog(request: OpenDialogRequest): Promise<unknown> {
    return this.doFetch(`${this.getBaseRoute()}/actions/dialogs/open`, { method: 'post', body: JSON.stringify(request) });
  }
}

/** A short, secret-free description of a failed REST call, for logs and error messages. */
export function describeClientError(error: unknown): string {
  if (error instanceof ClientError) {
    const status = error.status_code ? ` (HTTP ${error.status_code})` : '';
    return `${error.message || 'request failed'}${status}`;
  }
  return error instanceof Error ? error.message : String(error);
}
