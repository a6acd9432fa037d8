import { fork } from 'node:child_process';
import { processCpuMs } from './cpu.js';

/**
 * A long-lived helper process spoken to over IPC (a floor, a load generator, a worker set): one request, one answer,
 * in turn. Every helper also says how much CPU it has used, so a suite can set what a server costs per request beside
 * what it answers.
 */
export interface ChildProcessHandle<Request, Answer> {
  ask(request: Request): Promise<Answer>;
  /** Milliseconds of CPU (user and system) the process has used since it started. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

type Message<Request> = { request: Request } | { cpu: true };
type Reply<Answer> = { ready: true } | { ok: true; answer: Answer } | { ok: false; error: string } | { cpuMs: number };

/**
 * Starts `script` (a module run under tsx like the bench) and waits for it to say it is ready. The script answers each
 * request with `serveRequests`. `execArgv` adds Node options (`--expose-gc`).
 */
export async function startChild<Request, Answer>(script: URL, options: { execArgv?: readonly string[] } = {}): Promise<ChildProcessHandle<Request, Answer>> {
  const child = fork(script.pathname, [], { execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nextReply = () =>
    new Promise<Reply<Answer>>((resolve, reject) => {
      const onExit = () => reject(new Error(`${script.pathname} exited`));
      child.once('exit', onExit);
      child.once('message', (message: Reply<Answer>) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  if (!('ready' in (await nextReply()))) throw new Error(`${script.pathname} did not start`);
  const send = async (message: Message<Request>) => {
    const reply = nextReply();
    child.send(message);
    return reply;
  };
  return {
    async ask(request) {
      const answer = await send({ request });
      if (!('ok' in answer)) throw new Error(`unexpected message from ${script.pathname}`);
      if (!answer.ok) throw new Error(answer.error);
      return answer.answer;
    },
    async cpuMs() {
      const answer = await send({ cpu: true });
      if (!('cpuMs' in answer)) throw new Error(`unexpected message from ${script.pathname}`);
      return answer.cpuMs;
    },
    async stop() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

/** For the child: answers every request with `handle`, says it is ready, and exits when the parent lets go. */
export function serveRequests<Request, Answer>(handle: (request: Request) => Promise<Answer>, onStop?: () => Promise<void>): void {
  const reply = (message: Reply<Answer>) => process.send?.(message);
  process.on('message', (message: Message<Request>) => {
    if ('cpu' in message) {
      reply({ cpuMs: processCpuMs() });
      return;
    }
    handle(message.request).then(
      (answer) => reply({ ok: true, answer }),
      (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => {
    void (onStop?.() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  reply({ ready: true });
}

/** A server (a floor) in a helper process of its own: where to send requests, its CPU so far, and how to stop it. */
export interface ServerProcess {
  url: string;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `script` (which calls `serveServer`) and the server in it, with `spec`. */
export async function startServerProcess<Spec>(script: URL, spec: Spec): Promise<ServerProcess> {
  const child = await startChild<Spec, string>(script);
  try {
    return { url: await child.ask(spec), cpuMs: () => child.cpuMs(), stop: () => child.stop() };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** For the child of `startServerProcess`: starts the server on the first request, answers its URL, stops it when the parent lets go. */
export function serveServer<Spec>(start: (spec: Spec) => Promise<{ url: string; stop(): Promise<void> }>): void {
  let server: { url: string; stop(): Promise<void> } | undefined;
  serveRequests<Spec, string>(
    async (spec) => {
      server ??= await start(spec);
      return server.url;
    },
    async () => {
      await server?.stop();
    },
  );
}
