/**
 * What the browser build loads: every module reachable from src/client-browser.ts and src/contract.ts,
 * as compiled to ES modules, imports only relative modules (a page cannot resolve 'ws', 'node:*' or
 * a package name without a bundler). Type-only imports disappear in the output and are allowed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..', '..');
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

function emittedImports(file: string): string[] {
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, experimentalDecorators: true },
    fileName: file,
  }).outputText;
  return [...out.matchAll(SPECIFIER)].map((m) => m[1]);
}

function graph(entries: string[]): { files: string[]; bare: string[] } {
  const seen = new Set<string>();
  const bare: string[] = [];
  const queue = entries.map((e) => join(root, e));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of emittedImports(file)) {
      if (spec.startsWith('./') || spec.startsWith('../')) queue.push(resolve(dirname(file), `${spec}.ts`));
      else bare.push(`${relative(root, file)} imports '${spec}'`);
    }
  }
  return { files: [...seen].map((f) => relative(root, f)).sort(), bare };
}

test('the browser entry and wsgate/contract reach only relative modules, none of Node or ws', () => {
  const { files, bare } = graph(['src/client-browser.ts', 'src/contract.ts']);
  expect(bare).toEqual([]);
  expect(files).toEqual(expect.arrayContaining(['src/protocol/client/typed-client.ts', 'src/protocol/client/browser.ts', 'src/errors.ts']));
  expect(files.filter((f) => f.startsWith('src/client/') || f.startsWith('src/server/'))).toEqual([]);
});

test('the scan sees bare imports: from the Node entry it reaches node:timers and ws', () => {
  const { bare } = graph(['src/client-entry.ts']);
  expect(bare).toEqual(expect.arrayContaining(["src/client/typed-node.ts imports 'node:timers'", "src/client/connect.ts imports 'ws'"]));
});
