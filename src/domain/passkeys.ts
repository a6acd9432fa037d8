import { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * What a browser sends back from a passkey ceremony, checked for shape before any of it is believed: the JSON that
 * @simplewebauthn/browser makes of a new credential (adding a passkey) or of an assertion (signing in, the second
 * factor). The signatures and the challenge are checked by the workflows.
 */

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'not base64url').max(16_384);
const credentialId = z.string().regex(/^[A-Za-z0-9_-]{16,1400}$/, 'not a credential id');
export const AUTHENTICATOR_TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
export type AuthenticatorTransport = (typeof AUTHENTICATOR_TRANSPORTS)[number];

const common = {
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

const registrationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url.optional(),
    // Transports WebAuthn does not know (yet) are dropped rather than refused.
    transports: z
      .array(z.string().max(40))
      .max(10)
      .optional()
      .transform((reported) => (reported === undefined ? undefined : knownTransports(reported))),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.optional(),
  }),
});

const authenticationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

export type RegistrationResponse = z.infer<typeof registrationSchema>;
export type AuthenticationResponse = z.infer<typeof authenticationSchema>;

/** The largest response form field accepted: real responses are a few hundred bytes to a few kilobytes. */
export const MAX_RESPONSE_LENGTH = 12_000;

function parseResponse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = text.length > 0 && text.length <= MAX_RESPONSE_LENGTH ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AppError('invalid_passkey_response', `The browser did not send a ${what} the console can read.`, {
      hint: 'Try again; if it keeps failing, use a current browser with JavaScript on.',
    });
  }
  return parsed.data;
}

export function parseRegistrationResponse(text: string): RegistrationResponse {
  return parseResponse(registrationSchema, text, 'new passkey');
}

export function parseAuthenticationResponse(text: string): AuthenticationResponse {
  return parseResponse(authenticationSchema, text, 'passkey answer');
}

/** The transports a browser reported that WebAuthn knows (others are dropped, not refused). */
export function knownTransports(reported: readonly string[] | undefined): AuthenticatorTransport[] {
  return (reported ?? []).filter((transport): transport is AuthenticatorTransport => (AUTHENTICATOR_TRANSPORTS as readonly string[]).includes(transport));
}

export const PASSKEY_NAME_HELP = 'up to 40 letters, digits, spaces and . _ - ( ) \' ’';
const PASSKEY_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()'’-]{0,39}$/u;

/** A passkey's name, as its owner gave it: trimmed, inner spaces collapsed. */
export function parsePasskeyName(text: string): string {
  const name = text.trim().replace(/\s+/g, ' ');
  if (!PASSKEY_NAME.test(name)) {
    throw new AppError('invalid_passkey_name', name === '' ? 'Give the passkey a name, such as "Work laptop".' : `"${name.slice(0, 40)}" cannot name a passkey.`, {
      hint: `A passkey name is ${PASSKEY_NAME_HELP}, starting with a letter or digit.`,
    });
  }
  return name;
}
