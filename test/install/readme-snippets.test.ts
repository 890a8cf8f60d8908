/**
 * Every ```ts block of README.md, as a user would paste it into a file of their own: compiled by tsc
 * with only the two flags the README's Install section asks for, `wsgate` and its subpaths mapped to
 * this checkout's src/, then run with node. The echo example and the client example run as the
 * conversation they describe (on a free port instead of 8888); every other block must run to the end.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { onCleanup } from '../helpers/cleanup';

const root = join(__dirname, '..', '..');

interface Snippet {
  /** README line of the block's first code line (1-based). */
  line: number;
  code: string;
  file: string;
}

function readmeSnippets(): { line: number; code: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const snippets: { line: number; code: string }[] = [];
  for (const m of readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    snippets.push({ line: readme.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return snippets;
}

/** `wsgate` → src/index.ts, `wsgate/redis` → src/redis.ts …, from package.json's exports. */
function wsgatePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string } | string> };
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string' || !target.types) continue;
    paths[key === '.' ? 'wsgate' : `wsgate/${key.slice(2)}`] = [target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts')];
  }
  return paths;
}

let dir: string;
let out: string;
let snippets: Snippet[];
let diagnostics: string[];

beforeAll(() => {
  // Inside the checkout so that the compiled src/ finds ws and tsyringe in node_modules.
  mkdirSync(join(root, '.readme-snippets'), { recursive: true });
  dir = mkdtempSync(join(root, '.readme-snippets', 'run-'));
  out = join(dir, 'out');
  // A package boundary: inside this checkout, require('wsgate') would otherwise resolve to the
  // checkout's own dist/ (a package may import itself by name through its exports).
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true }));
  snippets = readmeSnippets().map((s, i) => ({ ...s, file: join(dir, `snippet-${i + 1}.ts`) }));
  for (const s of snippets) writeFileSync(s.file, s.code);

  const paths = wsgatePaths();
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    baseUrl: root,
    paths,
    rootDir: root,
    outDir: out,
  };
  const program = ts.createProgram(
    snippets.map((s) => s.file),
    options,
  );
  const emitted = program.emit();
  diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const snippet = snippets.find((s) => s.file === d.file?.fileName);
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return snippet ? `README.md:${snippet.line + line}: ${text}` : `${relative(root, d.file.fileName)}:${line + 1}: ${text}`;
  });
  // At run time `wsgate` is the compiled src/, found where node looks for a package.
  for (const [name, [target]] of Object.entries(paths)) {
    const shim = join(out, 'node_modules', `${name}.js`);
    const index = name === 'wsgate' ? join(out, 'node_modules', 'wsgate', 'index.js') : shim;
    mkdirSync(join(index, '..'), { recursive: true });
    writeFileSync(index, `module.exports = require(${JSON.stringify(join(out, target.replace(/\.ts$/, '.js')))});\n`);
  }
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(join(root, '.readme-snippets')); // unless another run is using it
  } catch {
    // not empty
  }
});

function compiled(s: Snippet): string {
  return join(out, relative(root, s.file).replace(/\.ts$/, '.js'));
}

function freePort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  }));
}

/** Runs a compiled snippet to its end; resolves its stdout, rejects when it fails or outlives 15 s. */
function runToEnd(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { cwd: dir, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${file}: ${err.message}\n${stdout}\n${stderr}`));
      resolve(stdout);
    });
  });
}

/** The same code with the README's port 8888 replaced. */
function onPort(s: Snippet, port: number): string {
  const file = compiled(s).replace(/\.js$/, `-${port}.js`);
  writeFileSync(file, readFileSync(compiled(s), 'utf8').replaceAll('8888', String(port)));
  return file;
}

describe('README.md TypeScript blocks', () => {
  it('are there (the example, the client, topics, gateway options, shutdown)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(5);
  });

  it('all type-check as written, with only the two tsconfig flags the Install section names', () => {
    expect(diagnostics).toEqual([]);
  });

  it('the echo example answers the client example: "You said: Hello, world", then the close', async () => {
    const server = snippets.find((s) => s.code.includes('app.listen(8888)'));
    const client = snippets.find((s) => s.code.includes('websocketConnect('));
    expect(server && client).toBeDefined();
    const port = await freePort();
    const child = spawn(process.execPath, [onPort(server!, port)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    onCleanup(async () => {
      if (child.exitCode === null) child.kill();
      await exited;
    });
    let serverOut = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (serverOut += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (serverOut += c));
    const printed = async (text: string): Promise<void> => {
      while (!serverOut.includes(text)) {
        await Promise.race([once(child.stdout, 'data'), exited.then(() => Promise.reject(new Error(`the example exited:\n${serverOut}`)))]);
      }
    };
    await printed(`listening on ${port}`);
    const said = await runToEnd(onPort(client!, port));
    expect(said).toBe('You said: Hello, world\nYou said: bye\n');
    // The client is done; the server logs its @OnClose once the close handshake has ended there too.
    await printed('WebSocket closed 1000');
    expect(serverOut).toContain('WebSocket opened');
  });

  it('every other block runs to its end without an error', async () => {
    const others = snippets.filter((s) => !s.code.includes('app.listen(8888)') && !s.code.includes('websocketConnect('));
    expect(others.length).toBeGreaterThan(0);
    for (const s of others) await expect(runToEnd(compiled(s)).then(() => `README.md:${s.line} ran`)).resolves.toBe(`README.md:${s.line} ran`);
  });
});
