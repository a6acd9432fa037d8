import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for the `pulumi` CLI, for driving the real Automation API without the real CLI: a Node script that keeps
 * stacks in a JSON file, answers the commands LocalWorkspace runs, fails commands as scripted, and records every call
 * with the Pulumi variables it was given. Programs are not run (it never connects to the inline program's server);
 * `up` sets the outputs the test scripted.
 */
const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const dir = __dirname + '/..';
const read = (name, fallback) => { try { return JSON.parse(fs.readFileSync(dir + '/' + name, 'utf8')); } catch { return fallback; } };
const write = (name, value) => fs.writeFileSync(dir + '/' + name, JSON.stringify(value));
const args = process.argv.slice(2).filter((arg) => arg !== '--non-interactive');
const env = {};
for (const name of ['PULUMI_BACKEND_URL', 'PULUMI_CONFIG_PASSPHRASE', 'PULUMI_SKIP_UPDATE_CHECK', 'PULUMI_HOME']) if (process.env[name] !== undefined) env[name] = process.env[name];
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify({ args, env }) + '\n');
const command = args[0] === 'stack' ? 'stack ' + args[1] : args[0];
const plan = read('plan.json', {});
const failure = (plan[command] || []).shift();
write('plan.json', plan);
if (failure) { process.stderr.write(failure + '\n'); process.exit(255); }
const stacks = read('stacks.json', {});
const flag = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
const stack = flag('--stack') || args[args.length - 1];
const missing = () => { process.stderr.write("error: no stack named '" + stack + "' found\n"); process.exit(255); };
const out = (value) => process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
switch (command) {
  case 'version': out('v3.230.0\n'); break;
  case 'stack select': if (!stacks[stack]) missing(); break;
  case 'stack init': stacks[stack] = { deployment: { resources: [] }, outputs: {} }; break;
  case 'stack output': if (!stacks[stack]) missing(); out(stacks[stack].outputs); break;
  case 'stack history': out('[]'); break;
  case 'stack export': if (!stacks[stack]) missing(); out({ version: 3, deployment: stacks[stack].deployment }); break;
  case 'stack import': if (!stacks[stack]) missing(); stacks[stack].deployment = JSON.parse(fs.readFileSync(flag('--file'), 'utf8')).deployment; break;
  case 'stack rm': if (!stacks[stack]) missing(); delete stacks[stack]; break;
  case 'up': stacks[stack].outputs = read('up-outputs.json', {}); stacks[stack].deployment = { resources: [{ urn: 'u' }] }; break;
  case 'refresh': if (args.includes('--clear-pending-creates')) delete stacks[stack].deployment.pending_operations; break;
  case 'destroy': stacks[stack].outputs = {}; stacks[stack].deployment = { resources: [] }; break;
  default: process.stderr.write('fake pulumi: unknown command ' + args.join(' ') + '\n'); process.exit(2);
}
write('stacks.json', stacks);
`;

export interface FakeCliCall {
  args: string[];
  env: Record<string, string>;
}

/** A fake CLI installed as `<root>/bin/pulumi`, as `PulumiCommand.get({ root })` expects. */
export class FakePulumiCli {
  constructor(readonly root: string) {
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'pulumi'), SCRIPT);
    chmodSync(join(root, 'bin', 'pulumi'), 0o755);
    this.reset();
  }

  reset(): void {
    for (const name of ['stacks.json', 'plan.json', 'up-outputs.json']) writeFileSync(join(this.root, name), '{}');
    writeFileSync(join(this.root, 'calls.jsonl'), '');
  }

  /** The next `times` runs of `command` ("up", "stack export", ...) fail with `stderr`. */
  fail(command: string, stderr: string, times = 1): void {
    const plan = this.read<Record<string, string[]>>('plan.json');
    plan[command] = [...(plan[command] ?? []), ...Array.from({ length: times }, () => stderr)];
    writeFileSync(join(this.root, 'plan.json'), JSON.stringify(plan));
  }

  upOutputs(outputs: Record<string, unknown>): void {
    writeFileSync(join(this.root, 'up-outputs.json'), JSON.stringify(outputs));
  }

  setStack(name: string, deployment: Record<string, unknown>, outputs: Record<string, unknown> = {}): void {
    const stacks = this.read<Record<string, unknown>>('stacks.json');
    stacks[name] = { deployment, outputs };
    writeFileSync(join(this.root, 'stacks.json'), JSON.stringify(stacks));
  }

  stacks(): Record<string, { deployment: Record<string, unknown>; outputs: Record<string, unknown> }> {
    return this.read('stacks.json');
  }

  calls(): FakeCliCall[] {
    return readFileSync(join(this.root, 'calls.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FakeCliCall);
  }

  /** The calls as "up", "stack select", ... in order, without `version`. */
  commands(): string[] {
    return this.calls()
      .map(({ args }) => (args[0] === 'stack' ? `stack ${args[1]}` : (args[0] ?? '')))
      .filter((command) => command !== 'version');
  }

  private read<T>(name: string): T {
    return JSON.parse(readFileSync(join(this.root, name), 'utf8')) as T;
  }
}
