export { createMattermostPlatform, MATTERMOST_PATHS, type MattermostPlatform, type MattermostPlatformDeps } from './platform.js';
export { MattermostClient } from './client.js';
export { MattermostNotifier } from './notifier.js';
export { auditRejectedRequest, type RejectedMattermostRequest } from './refusals.js';
export type { AckSample } from './inbound.js';
