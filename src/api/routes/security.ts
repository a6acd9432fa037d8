import { BEARER_SCHEME } from '../../http/server.js';

/** The security requirement of every route with a key, as the OpenAPI document names it. */
export const SECURITY_SCHEME = BEARER_SCHEME;
export const SECURITY = [{ [SECURITY_SCHEME]: [] }];
