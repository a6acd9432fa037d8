import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake AWS STS endpoint that answers GetCallerIdentity (the query protocol, as the AWS SDK sends it) for the key
 * pairs it knows. It checks each request's Signature Version 4 against the pair's secret, as AWS does, so a wrong
 * secret is refused with SignatureDoesNotMatch and an unknown access key id with InvalidClientTokenId.
 */
export interface FakeStsAccount {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
}

export interface StsCall {
  action: string;
  accessKeyId: string;
  answer: 'ok' | 'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'malformed';
}

export class FakeSts {
  readonly calls: StsCall[] = [];
  /** Time to wait before answering (to run the caller out of time). */
  delayMs = 0;
  private readonly accounts = new Map<string, FakeStsAccount>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSts> {
    const fake: { current?: FakeSts } = {};
    const server = createServer((req, res) => {
      void fake.current!.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake.current = new FakeSts(server, `http://127.0.0.1:${port}`);
    return fake.current;
  }

  know(account: FakeStsAccount): void {
    this.accounts.set(account.accessKeyId, account);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (res.destroyed) return;
    const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
    const authorization = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
      String(req.headers.authorization ?? ''),
    );
    if (action !== 'GetCallerIdentity' || !authorization) {
      this.calls.push({ action, accessKeyId: authorization?.[1] ?? '', answer: 'malformed' });
      return this.error(res, 400, 'InvalidAction', 'Could not find operation');
    }
    const [, accessKeyId, scope, signedHeaders, signature] = authorization as unknown as [string, string, string, string, string];
    const account = this.accounts.get(accessKeyId);
    if (!account) {
      this.calls.push({ action, accessKeyId, answer: 'InvalidClientTokenId' });
      return this.error(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    if (signatureOf(req, body, scope, signedHeaders, account.secretAccessKey) !== signature) {
      this.calls.push({ action, accessKeyId, answer: 'SignatureDoesNotMatch' });
      return this.error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    this.calls.push({ action, accessKeyId, answer: 'ok' });
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
        `<Arn>arn:aws:iam::${account.account}:user/labs</Arn><UserId>AIDAFAKEUSER</UserId><Account>${account.account}</Account>` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'text/xml' }).end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
        `<Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Signature Version 4 of a request, over the headers it says it signed. */
function signatureOf(req: IncomingMessage, body: Buffer, scope: string, signedHeaders: string, secret: string): string {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join('&');
  const headers = signedHeaders
    .split(';')
    .map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonical = [req.method, url.pathname, query, headers, signedHeaders, sha256(body)].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const [date, region, service, terminator] = scope.split('/') as [string, string, string, string];
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), terminator);
  return createHmac('sha256', key).update(toSign).digest('hex');
}
