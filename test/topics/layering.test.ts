/**
 * Topics sit below the server: src/topics imports nothing from src/server, src/app or src/client,
 * and no import chain that starts in src/topics comes back to it (type-only imports count: they
 * tie the declarations together just the same).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The src files a file imports or re-exports from (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((s) => {
    const base = resolve(dirname(file), s);
    for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not this one
      }
    }
    throw new Error(`${relative(SRC, file)}: cannot resolve '${s}'`);
  });
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const topics = files.filter((f) => relative(SRC, f).startsWith('topics'));
const name = (f: string): string => relative(SRC, f);

/** An import chain from `start` back to it, if there is one. */
function circleThrough(start: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): string[] | undefined => {
    for (const next of graph.get(file) ?? []) {
      if (next === start) return [...path, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

describe('src/topics layering', () => {
  it('imports nothing from src/server, src/app or src/client', () => {
    const upward = topics.flatMap((f) =>
      graph
        .get(f)!
        .filter((dep) => /^(server|app|client)\//.test(name(dep)))
        .map((dep) => `${name(f)} -> ${name(dep)}`),
    );
    expect(upward).toEqual([]);
  });

  it('is in no import circle', () => {
    const circles = topics.map(circleThrough).filter((c): c is string[] => c !== undefined);
    expect(circles.map((c) => c.map(name).join(' -> '))).toEqual([]);
  });
});
