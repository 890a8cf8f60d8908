/**
 * What package.json promises a consumer, checked on every `npm test` (the integration suite's
 * consumer.test.ts installs the packed package for real).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  exports: Record<string, { types?: string; default?: string } | string>;
  typesVersions?: Record<string, Record<string, string[]>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as PackageJson;

describe('package.json', () => {
  it('maps every exported subpath in typesVersions to the same .d.ts, for TypeScript resolution that ignores exports (node10)', () => {
    const subpaths = Object.entries(pkg.exports).filter(([key, target]) => key !== '.' && typeof target !== 'string');
    expect(subpaths.length).toBeGreaterThan(0);
    for (const [key, target] of subpaths) {
      expect({ [key]: pkg.typesVersions?.['*']?.[key.slice(2)] }).toEqual({ [key]: [(target as { types: string }).types] });
    }
  });

  it('has tsyringe and reflect-metadata as peer dependencies only (one copy shared with the app), and in devDependencies', () => {
    for (const name of ['tsyringe', 'reflect-metadata']) {
      expect(pkg.dependencies?.[name]).toBeUndefined();
      expect(pkg.peerDependencies?.[name]).toBeDefined();
      expect(pkg.devDependencies?.[name]).toBe(pkg.peerDependencies?.[name]);
    }
  });

  it('builds dist/ on prepare, so a git install (which gets no dist/) has the compiled package', () => {
    expect(pkg.scripts.prepare).toMatch(/\bnpm run build\b/);
    expect(pkg.scripts.build).toMatch(/\btsc\b/);
  });
});
