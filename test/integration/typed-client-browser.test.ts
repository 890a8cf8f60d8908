/**
 * The typed client in Chromium, loaded without a bundler from the ES-module build (dist/esm, made
 * by `npm run build:esm` in beforeAll) next to valibot's own ES module. The server is a `ws`
 * server that speaks the wire format frame by frame, so what the browser sent can be checked.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import * as v from 'valibot';
import { CheckOrigin, Connection, defineContract, Gateway, OnMessage, OnOpen, type In, type Out } from '../../src';
import { writeErrorReply, writeEvent, writeReply } from '../../src/protocol/envelope';
import { ContractPeer } from '../helpers/contract-peer';
import { launchBrowserWithClientBuild, runInPage, type TestBrowser } from './helpers/browser';
import { closeServer, listen, startGatewayServer } from './helpers/servers';

const root = join(__dirname, '..', '..');
const esm = join(root, 'dist', 'esm');
const valibot = join(root, 'node_modules', 'valibot', 'dist', 'index.mjs');

let browser: TestBrowser;
let files: Server;
let origin: string;

/** Serves the page, dist/esm under /esm/ and valibot as /valibot.js (JavaScript as text/javascript: modules need it). */
async function startFileServer(): Promise<void> {
  files = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (body: string | Buffer, type: string): void => void res.writeHead(200, { 'Content-Type': type }).end(body);
    if (path === '/') return send('<!doctype html><meta charset="utf-8"><title>typed client</title>', 'text/html; charset=utf-8');
    const file = path === '/valibot.js' ? valibot : path.startsWith('/esm/') ? normalize(join(esm, path.slice(5))) : undefined;
    if (!file || !file.startsWith(root)) return void res.writeHead(404).end();
    readFile(file).then((body) => send(body, 'text/javascript'), () => void res.writeHead(404).end());
  });
  await listen(files);
  origin = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await startFileServer();
  browser = await launchBrowserWithClientBuild();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (files) await closeServer(files);
});

/** The page's side: import the built client, connect, call, listen, and report what it saw. */
const PAGE = `
const { connect, defineContract, MessageError } = await import(args.origin + '/esm/client-browser.js');
const v = await import(args.origin + '/valibot.js');
const chat = defineContract({
  client: { say: { data: v.object({ text: v.string() }), reply: v.object({ id: v.string(), tags: v.array(v.string()) }) } },
  server: { message: { data: v.object({ text: v.string() }) } },
  errors: { RATE_LIMITED: v.object({ retryAfterMs: v.number() }) },
});
let headers;
try { await connect(chat, args.url, { headers: { 'X-A': '1' } }); } catch (e) { headers = e.name + ': ' + e.message; }
const c = await connect(chat, args.url, { getToken: () => args.token });
const event = new Promise((resolve) => c.on('message', resolve));
const reply = await c.call('say', { text: 'hi' });
const failure = async (p) => { try { await p; return 'resolved'; } catch (e) { return { name: e.name, code: e.code, issues: e.issues, data: e.data, is: MessageError.is(e), instance: e instanceof MessageError }; } };
const invalid = await failure(c.call('say', { text: 'bad reply' }));
const refused = await failure(c.call('say', { text: 'refused' }));
const state = c.state;
await c.close();
return { headers, reply, event: await event, invalid, refused, state, after: c.state };
`;

test('Chromium imports the ES-module client from the build: call, event, VALIDATION with issue paths, typed error data', async () => {
  const peer = await ContractPeer.start();
  const page = await browser.newPage();
  await page.goto(origin + '/');
  const token = 'tök€n';
  const result = runInPage<Record<string, unknown>>(page, PAGE, { origin, url: peer.url, token });

  const socket = await peer.connection();
  // The token travels as a subprotocol beside wsgate.v1 (the server selects wsgate.v1), never in the URL.
  expect(socket.request.headers['sec-websocket-protocol']).toBe(`wsgate.v1, wsgate.bearer.${Buffer.from(token).toString('base64url')}`);
  expect(socket.request.url).toBe('/chat');
  expect(socket.ws.protocol).toBe('wsgate.v1');
  expect((await socket.next()).raw).toEqual({ type: 'say', id: 1, data: { text: 'hi' } });
  socket.send(writeEvent('message', { text: 'from the server' }));
  socket.send(writeReply(1, { id: 'r1', tags: ['a'] }));
  expect((await socket.next()).raw).toEqual({ type: 'say', id: 2, data: { text: 'bad reply' } });
  socket.send(writeReply(2, { id: 7, tags: ['ok', 3] }));
  expect((await socket.next()).raw).toEqual({ type: 'say', id: 3, data: { text: 'refused' } });
  socket.send(writeErrorReply(3, { code: 'RATE_LIMITED', message: 'slow down', data: { retryAfterMs: 250 } }));

  expect(await result).toEqual({
    headers: 'TypeError: connect: a browser cannot set request headers (`headers` is Node only)',
    reply: { id: 'r1', tags: ['a'] },
    event: { text: 'from the server' },
    invalid: {
      name: 'MessageError',
      code: 'VALIDATION',
      issues: [expect.objectContaining({ path: ['id'] }), expect.objectContaining({ path: ['tags', 1] })],
      is: true,
      instance: true,
    },
    refused: { name: 'MessageError', code: 'RATE_LIMITED', data: { retryAfterMs: 250 }, is: true, instance: true },
    state: 'open',
    after: 'closed',
  });
  expect((await socket.closed).code).toBe(1000);
  expect(peer.accepted).toBe(1);
});

/** The same contract as the page's (names and shapes), declared on the server side. */
const pageChat = defineContract({
  client: { say: { data: v.object({ text: v.string() }), reply: v.object({ id: v.string(), tags: v.array(v.string()) }) } },
  server: { message: { data: v.object({ text: v.string() }) } },
  errors: { RATE_LIMITED: v.object({ retryAfterMs: v.number() }) },
});

const GATEWAY_PAGE = `
const { connect, defineContract } = await import(args.origin + '/esm/client-browser.js');
const v = await import(args.origin + '/valibot.js');
const chat = defineContract({
  client: { say: { data: v.object({ text: v.string() }), reply: v.object({ id: v.string(), tags: v.array(v.string()) }) } },
  server: { message: { data: v.object({ text: v.string() }) } },
});
const c = await connect(chat, args.url);
const event = new Promise((resolve) => c.on('message', resolve));
const reply = await c.call('say', { text: 'hi' });
let invalid;
try { await c.call('say', { text: ['not', 'a', 'string'] }); } catch (e) { invalid = { name: e.name, code: e.code, issues: e.issues }; }
const result = { reply, event: await event, invalid, state: c.state };
await c.close();
return result;
`;

test('Chromium, ES-module client against a contract gateway: call, @OnOpen event, VALIDATION from the server with issue paths', async () => {
  @Gateway('/page-chat', { contract: pageChat })
  class PageChatGateway {
    constructor(readonly conn: Connection<typeof pageChat>) {}
    @CheckOrigin() anyOrigin(): boolean {
      return true; // the page is served from another port
    }
    @OnOpen() async open(): Promise<void> {
      await this.conn.send('message', { text: 'welcome' });
    }
    @OnMessage(pageChat, 'say') say({ text }: In<typeof pageChat, 'say'>): Out<typeof pageChat, 'say'> {
      return { id: `m-${text}`, tags: [text] };
    }
  }
  const gateway = await startGatewayServer({ gateways: [PageChatGateway] });
  try {
    const page = await browser.newPage();
    await page.goto(origin + '/');
    const result = await runInPage<Record<string, unknown>>(page, GATEWAY_PAGE, { origin, url: gateway.url('/page-chat') });
    expect(result).toEqual({
      reply: { id: 'm-hi', tags: ['hi'] },
      event: { text: 'welcome' },
      invalid: { name: 'MessageError', code: 'VALIDATION', issues: [expect.objectContaining({ path: ['text'] })] },
      state: 'open',
    });
    expect(gateway.errors).toEqual([]);
  } finally {
    await gateway.stop();
  }
});
