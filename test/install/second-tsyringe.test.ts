/**
 * A second copy of tsyringe, as a linked or `file:` install of wsgate produces: an app project whose
 * own node_modules holds a copy of tsyringe, running wsgate from this checkout (whose tsyringe is
 * another directory). Each case runs in its own Node process, since the module cache is the subject.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const wsgateTsyringe = realpathSync(join(root, 'node_modules', 'tsyringe'));
let project: string;
let appTsyringe: string;

beforeAll(() => {
  project = realpathSync(mkdtempSync(join(tmpdir(), 'wsgate-two-tsyringe-')));
  // A real copy (its own path, its own module instance), nested tslib included.
  cpSync(wsgateTsyringe, join(project, 'node_modules', 'tsyringe'), { recursive: true, dereference: true });
  for (const dep of ['reflect-metadata', 'tslib']) symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
  appTsyringe = join(project, 'node_modules', 'tsyringe');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

interface Outcome {
  error?: { name: string; message: string };
  replies?: string[];
}

/** Writes `body` as the app's main module (wsgate imported from this checkout's src) and runs it. */
function runApp(name: string, body: string): Promise<Outcome> {
  const file = join(project, 'src', `${name}.ts`);
  mkdirSync(dirname(file), { recursive: true });
  const wsgate = JSON.stringify(join(root, 'src', 'index'));
  writeFileSync(
    file,
    `import 'reflect-metadata';\n${body.replaceAll("'wsgate'", wsgate)}\n` +
      `main().then((o) => console.log(JSON.stringify(o)), (e: Error) => console.log(JSON.stringify({ error: { name: e.name, message: e.message } })));\n`,
  );
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', join(root, 'test/scripts/register-ts.js'), file], { cwd: project, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${name} failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Outcome);
    });
  });
}

describe('a second copy of tsyringe', () => {
  it("makes createApp throw GatewayDefinitionError naming both copies when the app's @singleton() comes from its own copy", async () => {
    const out = await runApp(
      'own-singleton',
      `import { singleton } from 'tsyringe';
       import { Connection, createApp, Gateway, OnMessage } from 'wsgate';
       @singleton() class Counter { n = 0; }
       @Gateway('/count') class CountGateway {
         constructor(private readonly conn: Connection, private readonly counter: Counter) {}
         @OnMessage() count() { return this.conn.writeMessage(String(++this.counter.n)); }
       }
       async function main() { createApp({ gateways: [CountGateway] }); return {}; }`,
    );
    expect(out.error?.name).toBe('GatewayDefinitionError');
    expect(out.error?.message).toContain('two copies of tsyringe');
    expect(out.error?.message).toContain(appTsyringe);
    expect(out.error?.message).toContain(wsgateTsyringe);
  });

  it("makes createApp throw GatewayDefinitionError naming both copies when given the other copy's container", async () => {
    const out = await runApp(
      'other-container',
      `import { container } from 'tsyringe';
       import { Connection, createApp, Gateway, OnMessage } from 'wsgate';
       @Gateway('/echo') class EchoGateway {
         constructor(private readonly conn: Connection) {}
         @OnMessage() echo(m: string) { return this.conn.writeMessage(m); }
       }
       async function main() { createApp({ gateways: [EchoGateway], container }); return {}; }`,
    );
    expect(out.error?.name).toBe('GatewayDefinitionError');
    expect(out.error?.message).toContain('the `container` given comes from another copy of tsyringe');
    expect(out.error?.message).toContain(appTsyringe);
    expect(out.error?.message).toContain(wsgateTsyringe);
  });

  it("is no problem for an app that takes the decorators from 'wsgate': one singleton for every connection", async () => {
    const out = await runApp(
      'wsgate-decorators',
      `import { Connection, createApp, Gateway, OnMessage, singleton, websocketConnect } from 'wsgate';
       @singleton() class Counter { n = 0; }
       @Gateway('/count') class CountGateway {
         constructor(private readonly conn: Connection, private readonly counter: Counter) {}
         @OnMessage() count() { return this.conn.writeMessage(String(++this.counter.n)); }
       }
       async function main() {
         const app = createApp({ gateways: [CountGateway] });
         const { port } = await app.listen(0, '127.0.0.1');
         const replies: (string | Buffer | null)[] = [];
         for (let i = 0; i < 2; i++) {
           const c = await websocketConnect('ws://127.0.0.1:' + port + '/count');
           await c.writeMessage('+1');
           replies.push(await c.readMessage());
           await c.close();
         }
         await app.close();
         return { replies };
       }`,
    );
    expect(out).toEqual({ replies: ['1', '2'] });
  });
});
