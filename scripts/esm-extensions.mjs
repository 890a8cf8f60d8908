// After `tsc -p tsconfig.esm.json`: browsers resolve import specifiers as URLs, so every relative
// specifier in dist/esm gets its '.js'; dist/esm/package.json marks the folder as ES modules.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? 'dist/esm';
// `from './x'`, `import './x'`, `import('./x')`, `export … from './x'`
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\2/g;

function* jsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* jsFiles(path);
    else if (name.endsWith('.js')) yield path;
  }
}

let changed = 0;
for (const file of jsFiles(root)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (all, head, quote, spec) => (spec.endsWith('.js') ? all : `${head}${quote}${spec}.js${quote}`));
  if (out !== text) {
    writeFileSync(file, out);
    changed++;
  }
}
writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }, null, 2) + '\n');
console.log(`esm-extensions: ${changed} files in ${root} rewritten`);
