/** The security requirement of every route with a key, as the OpenAPI document names it. */
export const SECURITY_SCHEME = 'apiKey';
export const SECURITY = [{ [SECURITY_SCHEME]: [] }];
