/**
 * Packs wsgate the way a registry or git install gets it, and installs the tarball into a fresh
 * project, for test/integration/consumer.test.ts.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..', '..');

export interface RunResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command; rejects with its whole output when it fails or outlives `timeoutMs`. */
export function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const ms = performance.now() - start;
      if (err) return reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed after ${ms.toFixed(0)} ms: ${err.message}\n${stdout}\n${stderr}`));
      resolve({ stdout, stderr, ms });
    });
  });
}

/**
 * Copies what a git checkout of wsgate holds (sources, configs, docs; no dist/) into `dir`, with
 * this checkout's node_modules linked in, and runs `npm pack` there: its `prepare` script must build
 * dist/ as it does for a git install. Returns the tarball's path, size and file list.
 */
export async function packFromSource(dir: string, into: string): Promise<{ tarball: string; bytes: number; files: string[]; ms: number }> {
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.esm.json', 'scripts', 'README.md', 'LICENSE', 'src', 'samples']) {
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const { stdout, ms } = await run('npm', ['pack', '--json', '--pack-destination', into], dir);
  // `npm pack --json` prints the build's output first when prepare runs; the JSON array comes last.
  const [info] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  const tarball = join(into, info.filename);
  return { tarball, bytes: statSync(tarball).size, files: info.files.map((f) => f.path), ms };
}

/** The version of a package installed in this checkout (so a consumer install finds it in npm's cache). */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The subpaths wsgate's package.json exports for code (`.`, `./redis`, …), as import specifiers. */
export function exportedSpecifiers(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? 'wsgate' : `wsgate/${k.slice(2)}`));
}
