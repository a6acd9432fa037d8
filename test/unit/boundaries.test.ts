import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-files.js';

/**
 * House rules checked on the syntax tree (comments and strings never count):
 *  - platform SDKs (`@slack/*`, `@mattermost/*`) are imported only at the platform edge;
 *  - layers point one way: each file of the app imports only from its own layer and the layers below it (LAYERS);
 *  - `process.env` is read only by src/config.ts in the app (tests and scripts may read their own);
 *  - no `any`, anywhere.
 */
interface Finding {
  line: number;
  text: string;
}

const PLATFORM_SDK = /^@(slack|mattermost)\//;

function walk(source: ts.SourceFile, visit: (node: ts.Node) => void): void {
  const recurse = (node: ts.Node): void => {
    visit(node);
    node.forEachChild(recurse);
  };
  recurse(source);
}

function finding(source: ts.SourceFile, node: ts.Node): Finding {
  const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
  return { line: line + 1, text: node.getText(source).split('\n')[0] ?? '' };
}

function parseSource(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Module names a file imports, in every form: import/export from, import(), require(), import x = require(), typeof import(). */
function findPlatformImports(fileName: string, text: string): Finding[] {
  const source = parseSource(fileName, text);
  const found: Finding[] = [];
  const check = (node: ts.Node, specifier: ts.Node | undefined) => {
    if (specifier && ts.isStringLiteralLike(specifier) && PLATFORM_SDK.test(specifier.text)) found.push(finding(source, node));
  };
  walk(source, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) check(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      check(node, node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isImport || isRequire) check(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) check(node, node.argument.literal);
  });
  return found;
}

/** Every module specifier a file names, with the line it is on: imports, re-exports, import() and import types. */
function findModuleReferences(fileName: string, text: string): (Finding & { specifier: string })[] {
  const source = parseSource(fileName, text);
  const found: (Finding & { specifier: string })[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined) => {
    if (specifier && ts.isStringLiteralLike(specifier)) found.push({ ...finding(source, node), specifier: specifier.text });
  };
  walk(source, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
  });
  return found;
}

/**
 * The layers of the app, bottom up, and the layers each may import from besides its own. A file's layer is the first
 * whose `members` holds its path (a folder ending in `/`, or a file).
 */
interface Layer {
  name: string;
  members: readonly string[];
  /** The one rule the layer keeps, as docs/architecture.md states it. */
  rule: string;
  uses: readonly string[];
}

const LAYERS: readonly Layer[] = [
  { name: 'rules', members: ['src/domain/', 'src/errors.ts', 'src/clock.ts', 'src/project-files.ts'], rule: 'pure rules: no I/O but reading the presets file', uses: [] },
  { name: 'settings', members: ['src/config.ts', 'src/log.ts'], rule: 'the environment is read here and nowhere else', uses: ['rules'] },
  { name: 'views', members: ['blocks/'], rule: 'views take view models, never rows, jobs or provisioner results', uses: ['rules'] },
  { name: 'database', members: ['src/db/'], rule: 'the schema and the connection, nothing that decides', uses: ['rules', 'settings'] },
  { name: 'audit log', members: ['src/audit/'], rule: 'storage, chain and query only: it posts nothing and enqueues nothing', uses: ['database', 'rules', 'settings'] },
  { name: 'job queue', members: ['src/queue/'], rule: 'runs jobs it does not know the meaning of', uses: ['rules', 'settings'] },
  { name: 'credentials', members: ['src/credentials/'], rule: 'seals and opens secrets, and checks them with their cloud', uses: ['rules'] },
  { name: 'provisioners', members: ['src/provisioners/'], rule: 'create and remove cloud resources, nothing else', uses: ['database', 'rules', 'settings'] },
  { name: 'chat port', members: ['src/chat/types.ts'], rule: 'what a door hands the core and what the core asks of a door', uses: ['views', 'rules'] },
  { name: 'services', members: ['src/services.ts'], rule: 'what the core is given, passed explicitly', uses: ['chat port', 'database', 'job queue', 'provisioners', 'rules', 'settings'] },
  {
    name: 'workflows',
    members: ['workflows/'],
    rule: 'every state change, in one transaction with its audit entries and its jobs',
    uses: ['services', 'chat port', 'views', 'audit log', 'database', 'job queue', 'provisioners', 'credentials', 'rules', 'settings'],
  },
  {
    name: 'commands',
    members: ['commands/'],
    rule: 'parse, check policy, call a workflow, answer with a view: never the queue, the provisioner or the database',
    uses: ['workflows', 'services', 'chat port', 'views', 'audit log', 'rules', 'settings'],
  },
  { name: 'http', members: ['src/http/'], rule: 'serves routes; knows no door', uses: ['database', 'rules', 'settings'] },
  { name: 'web', members: ['src/web/'], rule: 'HTML pages: escaping templates, the layout and its assets; knows no door', uses: ['http', 'rules', 'settings'] },
  {
    name: 'doors',
    members: ['src/chat/slack/', 'src/chat/mattermost/', 'src/chat/memory/', 'src/chat/sandbox/', 'src/chat/mentions.ts', 'src/chat/platforms.ts'],
    rule: 'verify who acts, resolve mentions, hand the core an invocation, render its answer',
    uses: ['commands', 'services', 'chat port', 'views', 'web', 'http', 'rules', 'settings'],
  },
  {
    name: 'console',
    members: ['src/console/'],
    rule: 'checks the session, then calls workflows as the signed-in member and renders their answer as HTML',
    uses: ['workflows', 'commands', 'services', 'chat port', 'views', 'audit log', 'web', 'http', 'rules', 'settings'],
  },
  {
    name: 'api',
    members: ['src/api/'],
    rule: 'verify the key, hand workflows its actor, answer problem+json: no state change outside a workflow',
    uses: ['workflows', 'commands', 'services', 'audit log', 'database', 'http', 'rules', 'settings'],
  },
  {
    name: 'entry',
    members: ['src/app.ts', 'src/main.ts', 'src/demo.ts', 'src/demo-scenario.ts', 'src/demo-resources.ts'],
    rule: 'wires the parts together',
    uses: ['console', 'api', 'doors', 'web', 'http', 'commands', 'workflows', 'services', 'chat port', 'provisioners', 'credentials', 'job queue', 'audit log', 'database', 'views', 'settings', 'rules'],
  },
];

function layerOf(path: string): Layer | undefined {
  return LAYERS.find((layer) => layer.members.some((member) => (member.endsWith('/') ? path.startsWith(member) : path === member)));
}

/** The project path a relative specifier points at (`../src/queue/jobs.js` from `commands/x.ts` → `src/queue/jobs.ts`). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/').replace(/\.js$/, '.ts');
}

/** Imports that point up or across the layers: each names the file, the line, and the layers involved. */
function findLayerViolations(fileName: string, text: string): Finding[] {
  const from = layerOf(fileName);
  if (!from) return [{ line: 1, text: `${fileName} is in no layer: add it to LAYERS` }];
  return findModuleReferences(fileName, text).flatMap((reference) => {
    const target = resolveSpecifier(fileName, reference.specifier);
    if (target === undefined) return [];
    const to = layerOf(target);
    if (to === from || (to && from.uses.includes(to.name))) return [];
    return [{ line: reference.line, text: `${from.name} may not import ${to?.name ?? 'files outside the app'} (${reference.specifier})` }];
  });
}

const isProcess = (node: ts.Node) =>
  (ts.isIdentifier(node) && node.text === 'process') ||
  (ts.isPropertyAccessExpression(node) && node.name.text === 'process' && ts.isIdentifier(node.expression) && node.expression.text === 'globalThis');

/** Reads of the environment: process.env, process['env'], `const { env } = process`, `import { env } from 'node:process'`. */
function findEnvReads(fileName: string, text: string): Finding[] {
  const source = parseSource(fileName, text);
  const found: Finding[] = [];
  walk(source, (node) => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcess(node.expression)) found.push(finding(source, node));
    if (ts.isElementAccessExpression(node) && isProcess(node.expression)) {
      const key = node.argumentExpression;
      if (ts.isStringLiteralLike(key) && key.text === 'env') found.push(finding(source, node));
    }
    if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isProcess(node.initializer)) {
      const names = node.name.elements.map((element) => (element.propertyName ?? element.name).getText(source));
      if (names.includes('env')) found.push(finding(source, node));
    }
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && /^(node:)?process$/.test(node.moduleSpecifier.text)) {
      const bindings = node.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings) && bindings.elements.some((element) => (element.propertyName ?? element.name).text === 'env')) {
        found.push(finding(source, node));
      }
    }
  });
  return found;
}

/** Every `any` type written in the file. */
function findAny(fileName: string, text: string): Finding[] {
  const source = parseSource(fileName, text);
  const found: Finding[] = [];
  walk(source, (node) => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) found.push(finding(source, node.parent));
  });
  return found;
}

/** Where platform SDKs may be imported: the adapters, the platform renderers, the platform registry and the entry. */
function isPlatformEdge(path: string): boolean {
  return (
    /^src\/chat\/(slack|mattermost)\//.test(path) ||
    /^blocks\/(slack|mattermost)[^/]*$/.test(path) ||
    /^blocks\/(slack|mattermost)[^/]*\//.test(path) ||
    path === 'src/chat/platforms.ts' ||
    path === 'src/main.ts'
  );
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.data', '.git', 'coverage', 'results']);

function typeScriptFiles(folder: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : typeScriptFiles(path);
    return /\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const APP_FOLDERS = ['src', 'commands', 'workflows', 'blocks'];
const appFiles = APP_FOLDERS.flatMap(typeScriptFiles);
const allFiles = typeScriptFiles('');

function violations(files: string[], scan: (file: string, text: string) => Finding[]): string[] {
  return files.flatMap((file) => scan(file, readFileSync(join(PROJECT_ROOT, file), 'utf8')).map((hit) => `${file}:${hit.line}: ${hit.text}`));
}

describe('the source tree', () => {
  it('is scanned (the scanner sees the app and the tests)', () => {
    expect(appFiles).toContain('src/config.ts');
    expect(appFiles).toContain('src/http/server.ts');
    expect(allFiles).toContain('test/unit/boundaries.test.ts');
    expect(allFiles.some((file) => file.startsWith('node_modules/'))).toBe(false);
  });

  it('imports @slack/* and @mattermost/* only at the platform edge', () => {
    expect(violations(appFiles.filter((file) => !isPlatformEdge(file)), findPlatformImports)).toEqual([]);
  });

  it('has layers that point one way', () => {
    expect(violations(appFiles, findLayerViolations)).toEqual([]);
  });

  it('reads process.env only in src/config.ts', () => {
    expect(violations(appFiles.filter((file) => file !== 'src/config.ts'), findEnvReads)).toEqual([]);
  });

  it('has no `any`', () => {
    expect(violations(allFiles, findAny)).toEqual([]);
  });
});

describe('the scanners catch what they look for (synthetic sources)', () => {
  it('find platform imports in every form', () => {
    const text = [
      "import { App } from '@slack/bolt';",
      "import type { Post } from '@mattermost/types';",
      "export { WebClient } from '@slack/web-api';",
      "const lazy = await import('@slack/socket-mode');",
      "const old = require('@mattermost/client');",
      "import legacy = require('@slack/oauth');",
      "type Client = typeof import('@mattermost/client');",
    ].join('\n');
    expect(findPlatformImports('synthetic.ts', text).map((hit) => hit.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('ignore look-alikes: other scopes, comments and strings', () => {
    const text = [
      "import { z } from 'zod';",
      "import { fake } from '@slackish/thing';",
      "// import { App } from '@slack/bolt';",
      "const doc = \"import x from '@mattermost/client'\";",
      "const name = '@slack/bolt';",
    ].join('\n');
    expect(findPlatformImports('synthetic.ts', text)).toEqual([]);
  });

  it('find imports that point up or across the layers, type imports included', () => {
    const cases: [string, string][] = [
      ['src/audit/verify.ts', "import { errorView } from '../../blocks/views/error.js';"],
      ['src/audit/verify.ts', "import { usersWithRole } from '../../workflows/roles.js';"],
      ['src/audit/export.ts', "import { jobIds } from '../queue/jobs.js';"],
      ['blocks/views/env-list.ts', "import type { EnvironmentRow } from '../../src/db/schema/environments.js';"],
      ['blocks/views/lifecycle-notices.ts', "import type { ProgressEvent } from '../../src/provisioners/port.js';"],
      ['commands/audit-export.ts', "import { jobIds } from '../src/queue/jobs.js';"],
      ['commands/env-status.ts', "const port = await import('../src/provisioners/port.js');"],
      ['commands/env-list.ts', "type Row = import('../src/db/schema/environments.js').EnvironmentRow;"],
      ['workflows/notify.ts', "export { runEnvCommand } from '../commands/env.js';"],
      ['src/chat/types.ts', "import type { SlackNotifier } from './slack/notifier.js';"],
    ];
    for (const [file, text] of cases) expect(findLayerViolations(file, text), `${file}: ${text}`).toHaveLength(1);
  });

  it('let each layer import its own files and the layers below, and name files in no layer', () => {
    expect(findLayerViolations('commands/env.ts', "import { requestEnvironment } from '../workflows/request.js';\nimport { z } from 'zod';")).toEqual([]);
    expect(findLayerViolations('blocks/views/env-list.ts', "import type { EnvironmentModel } from '../models.js';")).toEqual([]);
    expect(findLayerViolations('src/nowhere.ts', '')).toEqual([{ line: 1, text: 'src/nowhere.ts is in no layer: add it to LAYERS' }]);
  });

  it('find environment reads in every form', () => {
    const text = [
      'const a = process.env.PORT;',
      "const b = process['env'];",
      'const { env } = process;',
      'const { env: renamed } = process;',
      "import { env } from 'node:process';",
      'const c = globalThis.process.env;',
    ].join('\n');
    expect(findEnvReads('synthetic.ts', text).map((hit) => hit.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('ignore process use that is not the environment, and mentions in comments', () => {
    const text = ['const up = process.uptime();', '// process.env is read in config.ts', "const s = 'process.env.X';", 'const { argv } = process;'].join('\n');
    expect(findEnvReads('synthetic.ts', text)).toEqual([]);
  });

  it('find `any` in annotations, casts, generics and signatures, and not in words', () => {
    const text = [
      'let a: any;',
      'const b = 1 as any;',
      'const c: Array<any> = [];',
      'function d(x: unknown): any { return x; }',
      "const company = 'any many anywhere'; // any",
      'type Fine = unknown;',
    ].join('\n');
    expect(findAny('synthetic.ts', text).map((hit) => hit.line)).toEqual([1, 2, 3, 4]);
  });

  it('place the platform edge exactly', () => {
    for (const path of ['src/chat/slack/app.ts', 'src/chat/mattermost/client.ts', 'blocks/slack.ts', 'blocks/mattermost-markdown.ts', 'src/chat/platforms.ts', 'src/main.ts']) {
      expect(isPlatformEdge(path)).toBe(true);
    }
    for (const path of ['src/chat/types.ts', 'src/chat/slackish/x.ts', 'blocks/view.ts', 'workflows/deploy.ts', 'commands/env.ts', 'src/http/server.ts']) {
      expect(isPlatformEdge(path)).toBe(false);
    }
  });
});
