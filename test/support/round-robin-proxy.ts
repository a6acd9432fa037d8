import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of several web processes, as an operator puts one: each request goes to the next
 * target in turn (1, 2, 1, 2, ...), its method, path, headers and body unchanged, and the answer comes back as the
 * target gave it. It records which target served each request.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Index into the targets. */
  target: number;
  status: number;
}

export interface RoundRobinProxy {
  /** The proxy's base URL, where the platform sends commands and clicks. */
  url: string;
  /** Every request forwarded so far, in the order they arrived. */
  readonly served: ProxiedRequest[];
  /** The base URLs to forward to; set once the web processes listen. */
  setTargets(urls: string[]): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let targets: URL[] = [];
  let next = 0;
  const served: ProxiedRequest[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    if (targets.length === 0) {
      res.writeHead(503).end('no targets yet');
      return;
    }
    const index = next % targets.length;
    next += 1;
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', target: index, status: 0 };
    served.push(entry);
    const target = targets[index]!;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(entry.status, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502);
      res.end(`target ${index + 1} failed: ${error.message}`);
    });
    req.pipe(upstream);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    setTargets(urls) {
      targets = urls.map((url) => new URL(url));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
