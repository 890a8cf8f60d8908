/**
 * wsgate as a user gets it: `npm pack` of a tree without dist/ (the `prepare` script builds it),
 * the tarball installed into a fresh project with the peers the README's Install section lists, and
 * three consumer projects compiled with tsc: CommonJS with `moduleResolution` node10 (what
 * `"module": "commonjs"` gets) and node16, and an ES module with nodenext. Each type-checks an
 * import of every subpath package.json exports and runs the README example (a gateway, then
 * websocketConnect, an echo and a close). npm uses its cache first (`--prefer-offline`): the
 * versions are the ones installed here, so `npm ci` has put them there.
 * WSGATE_REPORT=1 prints the tarball size and the durations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportedSpecifiers, installedVersion, packFromSource, root, run } from './helpers/pack';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let work: string;
let consumer: string;
let packed: Awaited<ReturnType<typeof packFromSource>>;
const report: string[] = [];

/** The README example: a gateway with a @singleton() service, then the client side of it. */
const example = `import 'reflect-metadata';
import { Connection, createApp, Gateway, OnClose, OnMessage, OnOpen, singleton, websocketConnect } from 'wsgate';

@singleton()
class Greeter {
  greet(s: string) { return \`You said: \${s}\`; }
}

const events: string[] = [];

@Gateway('/websocket')
class EchoGateway {
  constructor(private readonly conn: Connection, private readonly greeter: Greeter) {}
  @OnOpen()    open()               { events.push('opened'); }
  @OnMessage() onMessage(m: string) { return this.conn.writeMessage(this.greeter.greet(m)); }
  @OnClose()   onClose()            { events.push(\`closed \${this.conn.closeCode}\`); }
}

async function main(): Promise<void> {
  const app = createApp({ gateways: [EchoGateway] });
  const { port } = await app.listen(0, '127.0.0.1');
  const conn = await websocketConnect(\`ws://127.0.0.1:\${port}/websocket\`, { connectTimeout: 5000 });
  await conn.writeMessage('Hello, world');
  const reply = await conn.readMessage();
  await conn.close(1000, 'bye');
  await app.close();
  console.log(JSON.stringify({ reply, events }));
}
main().catch((err) => { console.error(err); process.exitCode = 1; });
`;

/** Every subpath package.json exports, imported and used (as types and at run time). */
function subpaths(): string {
  const specs = exportedSpecifiers();
  return [
    `import 'reflect-metadata';`,
    ...specs.map((s, i) => `import * as m${i} from '${s}';`),
    ...specs.map((_s, i) => `const k${i}: string[] = Object.keys(m${i});`),
    // RedisBroker is a class from wsgate/redis: its type must be known, not `any`.
    `import { RedisBroker, type RedisBrokerOptions } from 'wsgate/redis';`,
    `const options: RedisBrokerOptions = { url: 'redis://127.0.0.1:6379' };`,
    `const broker: InstanceType<typeof RedisBroker> | undefined = options.url ? undefined : new RedisBroker(options);`,
    `console.log(JSON.stringify({ ${specs.map((s, i) => `'${s}': k${i}.length`).join(', ')}, broker: broker === undefined }));`,
    '',
  ].join('\n');
}

// skipLibCheck: false once, so that wsgate's own .d.ts files are checked too (it costs about 10 s
// of checking @types/node and redis's types); true elsewhere, as `tsc --init` writes it.
const kinds = [
  { name: 'CommonJS, moduleResolution node10', dir: 'cjs-node10', type: 'commonjs', module: 'commonjs', moduleResolution: 'node10', skipLibCheck: false },
  { name: 'CommonJS, moduleResolution node16', dir: 'cjs-node16', type: 'commonjs', module: 'node16', moduleResolution: 'node16', skipLibCheck: true },
  { name: 'ES module, moduleResolution nodenext', dir: 'esm-nodenext', type: 'module', module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true },
];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'wsgate-consumer-'));
  const source = join(work, 'source');
  mkdirSync(source);
  packed = await packFromSource(source, work);
  report.push(`npm pack (prepare builds dist/): ${(packed.ms / 1000).toFixed(1)} s, tarball ${packed.bytes} bytes, ${packed.files.length} files`);

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const deps: Record<string, string> = { wsgate: `file:${packed.tarball}` };
  for (const dep of ['reflect-metadata', 'tsyringe', '@types/node', 'redis']) deps[dep] = installedVersion(dep);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'wsgate-consumer', private: true, dependencies: deps }, null, 2));
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], consumer);
  report.push(`npm install of the tarball and its peers: ${(install.ms / 1000).toFixed(1)} s`);
}, 170_000);

afterAll(() => {
  if (work && !process.env.WSGATE_KEEP) rmSync(work, { recursive: true, force: true });
  if (process.env.WSGATE_REPORT) console.log(report.join('\n'));
});

describe('the packed package', () => {
  it('holds dist/ (CommonJS and the browser ES modules) built by the prepare script from a tree without it, the LICENSE and the README', () => {
    expect(packed.files).toEqual(
      expect.arrayContaining(['package.json', 'LICENSE', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/redis.js', 'dist/src/redis.d.ts',
        'dist/src/client-entry.js', 'dist/src/contract.js', 'dist/esm/client-browser.js', 'dist/esm/contract.js', 'dist/esm/package.json']),
    );
    const outside = (f: string): boolean => !f.startsWith('dist/src/') && !f.startsWith('dist/esm/') && !['package.json', 'LICENSE', 'README.md'].includes(f);
    expect(packed.files.filter(outside)).toEqual([]);
  });
});

describe('wsgate/client and wsgate/contract in Node', () => {
  it('resolve to the CommonJS build under require and import(): one class per error, the same as the root', async () => {
    const script = [
      "require('reflect-metadata');",
      "const root = require('wsgate');",
      "const client = require('wsgate/client');",
      "Promise.all([import('wsgate/client'), import('wsgate/contract')]).then(([esClient, esContract]) => console.log(JSON.stringify({",
      "  resolved: [require.resolve('wsgate/client'), require.resolve('wsgate/contract')].map((p) => p.slice(p.indexOf('dist/'))),",
      "  closed: esClient.WebSocketClosedError === root.WebSocketClosedError && client.WebSocketClosedError === root.WebSocketClosedError,",
      "  timeout: esClient.TimeoutError === root.TimeoutError,",
      "  message: esContract.MessageError === client.MessageError && esClient.MessageError === client.MessageError,",
      "  connect: typeof esClient.connect,",
      "})));",
    ].join('\n');
    const ran = await run(process.execPath, ['-e', script], consumer, 30_000);
    expect(JSON.parse(ran.stdout)).toEqual({
      resolved: ['dist/src/client-entry.js', 'dist/src/contract.js'],
      closed: true,
      timeout: true,
      message: true,
      connect: 'function',
    });
  });
});

describe.each(kinds)('$name consumer', (kind) => {
  it('type-checks every subpath and runs the README example', async () => {
    const dir = join(consumer, kind.dir);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: kind.type }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: kind.module,
          moduleResolution: kind.moduleResolution,
          strict: true,
          // The two flags the README's Install section asks for; no others from wsgate's own config.
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          esModuleInterop: true,
          skipLibCheck: kind.skipLibCheck,
          types: ['node'],
          outDir: 'out',
          rootDir: '.',
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(join(dir, 'example.ts'), example);
    writeFileSync(join(dir, 'subpaths.ts'), subpaths());

    const compiled = await run(process.execPath, [tsc, '-p', dir], dir);
    const ran = await run(process.execPath, [join(dir, 'out', 'example.js')], dir, 30_000);
    expect(JSON.parse(ran.stdout)).toEqual({ reply: 'You said: Hello, world', events: ['opened', 'closed 1000'] });
    const loaded = JSON.parse((await run(process.execPath, [join(dir, 'out', 'subpaths.js')], dir, 30_000)).stdout) as Record<string, unknown>;
    for (const spec of exportedSpecifiers()) expect(loaded[spec]).toBeGreaterThan(0);
    report.push(`${kind.name}: tsc ${(compiled.ms / 1000).toFixed(1)} s, example run ${(ran.ms / 1000).toFixed(1)} s`);
  }, 90_000);
});
