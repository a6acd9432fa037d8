import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software passkey authenticator for tests without a browser: real P-256 keys, real signatures, real CBOR, the
 * WebAuthn byte layouts (authenticator data, attestation object with the `none` format, client data JSON), and a
 * signature counter the test can set. What it makes is what @simplewebauthn/browser hands the server from a real
 * authenticator, so the server's checks run as they do in production; the test chooses when to misbehave.
 */
export interface SoftPasskey {
  /** The credential id, base64url. */
  id: string;
  userHandle: string;
  /** The counter the next assertion reports (then incremented). */
  counter: number;
  privateKey: KeyObject;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED = 0x40;

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export interface CeremonyOptions {
  challenge: string;
  /** The origin the "browser" reports; the relying party's by default. */
  origin?: string;
  /** The RP id the authenticator signs for; the relying party's by default. */
  rpId?: string;
  /** Whether the authenticator says it verified the user (fingerprint, PIN); yes by default. */
  userVerified?: boolean;
}

export class SoftAuthenticator {
  readonly passkeys: SoftPasskey[] = [];

  constructor(
    readonly rpId: string,
    readonly origin: string,
  ) {}

  private clientData(type: 'webauthn.create' | 'webauthn.get', options: CeremonyOptions): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge: options.challenge, origin: options.origin ?? this.origin, crossOrigin: false }));
  }

  private flags(options: CeremonyOptions, extra = 0): number {
    return FLAG_USER_PRESENT | (options.userVerified === false ? 0 : FLAG_USER_VERIFIED) | extra;
  }

  private static counterBytes(counter: number): Buffer {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(counter);
    return bytes;
  }

  /** A new passkey for the user handle the registration options gave, as the browser's JSON (string) of it. */
  register(options: CeremonyOptions & { userHandle: string }): { json: string; passkey: SoftPasskey } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]);
    const credentialId = randomBytes(32);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(options.rpId ?? this.rpId),
      Buffer.from([this.flags(options, FLAG_ATTESTED)]),
      SoftAuthenticator.counterBytes(0),
      Buffer.alloc(16),
      idLength,
      credentialId,
      Buffer.from(isoCBOR.encode(coseKey)),
    ]);
    const attestation: Parameters<typeof isoCBOR.encode>[0] = new Map<string, Parameters<typeof isoCBOR.encode>[0]>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', new Uint8Array(authData)],
    ]);
    const attestationObject = isoCBOR.encode(attestation);
    const id = isoBase64URL.fromBuffer(new Uint8Array(credentialId));
    const passkey: SoftPasskey = { id, userHandle: options.userHandle, counter: 1, privateKey };
    this.passkeys.push(passkey);
    const json = JSON.stringify({
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(this.clientData('webauthn.create', options))),
        attestationObject: isoBase64URL.fromBuffer(attestationObject),
        transports: ['internal'],
      },
    });
    return { json, passkey };
  }

  /** An assertion by `passkey` for the challenge, as the browser's JSON (string) of it; the counter moves on after. */
  assert(passkey: SoftPasskey, options: CeremonyOptions & { counter?: number; signWith?: KeyObject }): string {
    const counter = options.counter ?? passkey.counter;
    passkey.counter = counter + 1;
    const authData = Buffer.concat([sha256(options.rpId ?? this.rpId), Buffer.from([this.flags(options)]), SoftAuthenticator.counterBytes(counter)]);
    const clientData = this.clientData('webauthn.get', options);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), options.signWith ?? passkey.privateKey);
    return JSON.stringify({
      id: passkey.id,
      rawId: passkey.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientData)),
        authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(authData)),
        signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
        userHandle: passkey.userHandle,
      },
    });
  }
}
