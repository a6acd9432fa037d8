import { fork } from 'node:child_process';

/** A long-lived helper process spoken to over IPC: one request, one answer, in turn. */
export interface ChildProcessHandle<Request, Answer> {
  ask(request: Request): Promise<Answer>;
  stop(): Promise<void>;
}

type Reply<Answer> = { ready: true } | { ok: true; answer: Answer } | { ok: false; error: string };

/**
 * Starts `script` (a module next to this one, run under tsx like the bench) and waits for it to say it is ready. The
 * script answers each request with `serveRequests`. `execArgv` adds Node options (`--expose-gc`).
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
  return {
    async ask(request) {
      const reply = nextReply();
      child.send(request as object);
      const answer = await reply;
      if ('ready' in answer) throw new Error(`unexpected message from ${script.pathname}`);
      if (!answer.ok) throw new Error(answer.error);
      return answer.answer;
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
  process.on('message', (request: Request) => {
    handle(request).then(
      (answer) => reply({ ok: true, answer }),
      (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => {
    void (onStop?.() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  reply({ ready: true });
}
