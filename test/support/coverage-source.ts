import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../src/project-files.js';

/**
 * What the product's source says about its audit trail, read with the TypeScript type checker rather than by hand:
 * the event types every `eventType:` can take, and the state transitions every `transition(…)` call can make. Only the
 * project's own files are loaded (package imports stay unresolved), which keeps the program small and fast; the
 * types that matter here are all declared in the project.
 */

/** The folders whose code runs in the product. */
export const PRODUCT_FOLDERS = ['src', 'commands', 'workflows'] as const;

export interface Site {
  /** `workflows/deploy.ts:52` */
  at: string;
}

export interface EventSite extends Site {
  /** The event types the property can hold; empty when it is not narrowed to literals (a pass-through). */
  events: string[];
  /** The type as the checker prints it, for failure messages. */
  type: string;
}

export interface TransitionSite extends Site {
  /** The states the call can name; null when the argument is not narrowed to literals (any state the lifecycle allows). */
  from: string[] | null;
  to: string[] | null;
}

export interface SourceFacts {
  eventSites: EventSite[];
  transitionSites: TransitionSite[];
  /** Every `eventType: '<name>'` written literally, found by plain text search (a cross-check of the checker). */
  literalEventTypes: { at: string; event: string }[];
}

function productFiles(): string[] {
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return PRODUCT_FOLDERS.flatMap((folder) => walk(join(PROJECT_ROOT, folder)));
}

/** A program over the project's files only: relative imports resolve to their `.ts` source, packages stay unresolved. */
function projectProgram(files: string[]): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    resolveJsonModule: false,
  };
  const host = ts.createCompilerHost(options);
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((literal) => {
      if (!literal.text.startsWith('.')) return { resolvedModule: undefined };
      const resolvedFileName = resolve(dirname(containingFile), literal.text.replace(/\.js$/, '.ts'));
      return { resolvedModule: { resolvedFileName, extension: ts.Extension.Ts, isExternalLibraryImport: false } };
    });
  return ts.createProgram(files, options, host);
}

/** The string literal values of a type: a literal, a union of literals, or an array of them. */
function literalValues(checker: ts.TypeChecker, type: ts.Type): string[] | undefined {
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    return element ? literalValues(checker, element) : undefined;
  }
  const parts = type.isUnion() ? type.types : [type];
  const values: string[] = [];
  for (const part of parts) {
    if (checker.isArrayType(part) || checker.isTupleType(part)) {
      const inner = literalValues(checker, part);
      if (!inner) return undefined;
      values.push(...inner);
    } else if (part.isStringLiteral()) values.push(part.value);
    else return undefined;
  }
  return [...new Set(values)].sort();
}

function siteOf(source: ts.SourceFile, node: ts.Node): string {
  const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
  return `${relative(PROJECT_ROOT, source.fileName)}:${line + 1}`;
}

/** True for a call of `transition` as declared in workflows/state-change.ts. */
/** The transitions of workflows/state-change.ts; each takes the from and to states as its fourth and fifth arguments. */
const TRANSITION_FUNCTIONS = new Set(['transition', 'transitionAudited', 'transitionAuditedUnlocking']);

function isTransitionCall(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  if (!ts.isIdentifier(call.expression) || !TRANSITION_FUNCTIONS.has(call.expression.text)) return false;
  let symbol = checker.getSymbolAtLocation(call.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.declarations?.[0];
  return declaration !== undefined && relative(PROJECT_ROOT, declaration.getSourceFile().fileName) === join('workflows', 'state-change.ts');
}

export function readSourceFacts(): SourceFacts {
  const files = productFiles();
  const program = projectProgram(files);
  const checker = program.getTypeChecker();
  const facts: SourceFacts = { eventSites: [], transitionSites: [], literalEventTypes: [] };
  const wanted = new Set(files);
  for (const source of program.getSourceFiles()) {
    if (!wanted.has(source.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && node.name.getText(source) === 'eventType') {
        const type = checker.getTypeAtLocation(ts.isPropertyAssignment(node) ? node.initializer : node.name);
        facts.eventSites.push({ at: siteOf(source, node), events: literalValues(checker, type) ?? [], type: checker.typeToString(type) });
      }
      if (ts.isCallExpression(node) && isTransitionCall(checker, node)) {
        const [, , , from, to] = node.arguments;
        facts.transitionSites.push({
          at: siteOf(source, node),
          from: from ? (literalValues(checker, checker.getTypeAtLocation(from)) ?? null) : null,
          to: to ? (literalValues(checker, checker.getTypeAtLocation(to)) ?? null) : null,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\beventType:\s*(['"])([^'"]+)\1/g)) {
      const line = text.slice(0, match.index).split('\n').length;
      facts.literalEventTypes.push({ at: `${relative(PROJECT_ROOT, file)}:${line}`, event: match[2]! });
    }
  }
  return facts;
}
