import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-files.js';

/**
 * House rules checked on the syntax tree (comments and strings never count):
 *  - platform SDKs (`@slack/*`, `@mattermost/*`) are imported only at the platform edge;
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
