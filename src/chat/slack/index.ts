export { createSlackPlatform, SLACK_EVENTS_PATH, type SlackPlatform, type SlackPlatformDeps } from './platform.js';
export { createSlackClient, SlackNotifier, type SlackRetryConfig } from './notifier.js';
export type { AckSample, RejectedSlackRequest, SlackHandlers } from './listeners.js';
export { SLACK_COMMANDS } from './translate.js';
export { startSlack, type SlackHandle } from './start.js';
