import { get } from 'node:http';
import { startEcho } from '../../samples/echo';
import { ChatRoomGateway } from '../../samples/chat-room';
import { createChatApp, startChat } from '../../samples/chat';
import { ChatTokens } from '../../samples/chat-auth';
import { MessageError } from '../../src';
import { joinChat, type GetToken } from '../helpers/chat-member';
import { onCleanup } from '../helpers/cleanup';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closed, collect, connect, nextMessage } from '../helpers/ws-client';

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('samples/echo.ts (the seed example)', () => {
  it('answers "You said: Hello, world" and serves the page that uses it', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    onCleanup(() => log.mockRestore());
    const echo = await startEcho(0, '127.0.0.1');
    onCleanup(() => echo.stop());
    const { port } = echo.address;
    const ws = await connect(`ws://127.0.0.1:${port}/websocket`, undefined, { origin: `http://127.0.0.1:${port}` });
    ws.send('Hello, world');
    expect((await nextMessage(ws)).data).toBe('You said: Hello, world');

    const page = await fetchText(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`new WebSocket('ws://' + location.host + '/websocket')`);
    expect(page.body).toContain("ws.send('Hello, world')");
    expect((await fetchText(`http://127.0.0.1:${port}/websocket`)).status).toBe(426);

    const end = closed(ws);
    ws.close(1000);
    await end;
    await eventually(() => log.mock.calls.some((c) => c[0] === 'WebSocket closed' && c[1] === 1000), '@OnClose log line');
    expect(log).toHaveBeenCalledWith('WebSocket opened');
  });
});

describe('samples/chat-room.ts', () => {
  it('broadcasts to the members of one room only, with joins and leaves', async () => {
    const { url } = await startApp([ChatRoomGateway]);
    const alice = await connect(url('/chat/lobby'));
    const aliceSees = collect(alice);
    await eventually(() => aliceSees.length === 1, 'alice sees her own join');
    alice.send('/nick alice');
    await eventually(() => aliceSees.length === 2, 'nick confirmation');
    const bob = await connect(url('/chat/lobby'));
    const bobSees = collect(bob);
    const other = await connect(url('/chat/elsewhere'));
    const otherSees = collect(other);
    await eventually(() => aliceSees.length === 3 && bobSees.length === 1, 'bob joined');
    bob.send('hi all');
    await eventually(() => aliceSees.length === 4 && bobSees.length === 2, 'the message');
    const last = JSON.parse(aliceSees[3] as string);
    expect(last).toMatchObject({ type: 'message', text: 'hi all' });
    expect(JSON.parse(bobSees[1] as string)).toEqual(last);
    bob.close();
    await eventually(() => aliceSees.length === 5, 'bob left');
    expect(JSON.parse(aliceSees[4] as string)).toMatchObject({ type: 'left', nick: last.nick });
    expect(otherSees.map((m) => JSON.parse(m as string).type)).toEqual(['joined']);
  });
});

describe('samples/chat.ts without REDIS_URL (MemoryBroker, the contract gateway)', () => {
  /** The app's rooms by name, and `as(name)`: a getToken issued by the app's own ChatTokens. */
  async function chatApp(): Promise<{ url: (room: string) => string; as: (name: string) => GetToken }> {
    const app = createChatApp();
    onCleanup(() => app.close());
    const { port } = await app.listen(0, '127.0.0.1');
    const tokens = app.container.resolve(ChatTokens);
    return { url: (room) => `ws://127.0.0.1:${port}/chat/${room}`, as: (name) => () => tokens.issue(name) };
  }

  it('says to the room’s other members through the Hub, not to the sender nor other rooms; welcome, joined, typing, nick, left', async () => {
    const { url, as } = await chatApp();
    const alice = await joinChat(url('lobby'), as('alice'));
    const welcome = await alice.waitFor('welcome');
    expect(welcome).toEqual({ nick: 'alice', room: 'lobby' }); // the name in the token
    const bob = await joinChat(url('lobby'), as('bob'));
    const other = await joinChat(url('elsewhere'), as('other'));
    expect(await bob.waitFor('welcome')).toEqual({ nick: 'bob', room: 'lobby' });
    expect(await alice.waitFor('joined')).toEqual({ nick: 'bob' });

    const { id } = await alice.c.call('say', { text: 'hello' });
    expect(await bob.waitFor('message')).toEqual({ id, nick: 'alice', text: 'hello', at: expect.any(Number) });
    await alice.c.send('typing', { on: true });
    expect(await bob.waitFor('typing')).toEqual({ nick: 'alice', on: true });
    expect(await bob.c.call('nick', { nick: '  bobby ' })).toEqual({ nick: 'bobby' }); // the schema trims
    await bob.c.call('say', { text: 'back' });
    await other.c.call('say', { text: 'marker' }); // to "elsewhere": other is alone there (and excepted)
    expect(await alice.waitFor('message')).toMatchObject({ nick: 'bobby', text: 'back' });
    // Publishing is done before a say is answered: one round trip of each member after it has seen it all.
    await Promise.all([alice.c.call('nick', { nick: 'alice' }), other.c.call('nick', { nick: 'other' })]);
    expect(alice.of('message').map((m) => m.text)).toEqual(['back']);
    expect(bob.of('message').map((m) => m.text)).toEqual(['hello']);
    expect(other.seen.map(([type]) => type)).toEqual(['welcome']);

    await bob.c.close();
    expect(await alice.waitFor('left')).toEqual({ nick: 'bobby' });
  });

  it('streams the room’s recent lines, oldest first, to a member who asks for its history', async () => {
    const { url, as } = await chatApp();
    const alice = await joinChat(url('history'), as('alice'));
    for (const text of ['one', 'two', 'three']) await alice.c.call('say', { text });
    await (await joinChat(url('history-other'), as('dave'))).c.call('say', { text: 'not this room' });
    const carol = await joinChat(url('history'), as('carol'));
    const lines: string[] = [];
    for await (const line of carol.c.stream('history', {})) lines.push(line.text);
    expect(lines).toEqual(['one', 'two', 'three']);
    const last: string[] = [];
    for await (const line of carol.c.stream('history', { limit: 2 })) last.push(line.text);
    expect(last).toEqual(['two', 'three']);
  });

  it('asks the sender to confirm a line that looks like a command: "no" rejects with NOT_SENT and sends nothing, "yes" sends it', async () => {
    const { url, as } = await chatApp();
    const alice = await joinChat(url('lobby'), as('alice'));
    const bob = await joinChat(url('lobby'), as('bob'));
    const questions: string[] = [];
    let answer = false;
    alice.c.handle('confirm', ({ question }) => {
      questions.push(question);
      return answer;
    });
    const refused = await alice.c.call('say', { text: '/shrug now' }).catch((err: unknown) => err);
    expect(alice.c.isError(refused, 'NOT_SENT') && refused.data).toEqual({ reason: 'declined' });
    answer = true;
    await alice.c.call('say', { text: '/shrug' });
    expect(await bob.waitFor('message')).toMatchObject({ text: '/shrug' });
    expect(bob.of('message')).toHaveLength(1);
    expect(questions).toEqual(['"/shrug" is not a command here. Send it as a message?', '"/shrug" is not a command here. Send it as a message?']);
  });

  it('a say that fails the contract is answered VALIDATION and not published', async () => {
    const { url, as } = await chatApp();
    const alice = await joinChat(url('lobby'), as('alice'));
    const bob = await joinChat(url('lobby'), as('bob'));
    const empty = await alice.c.call('say', { text: '' }).catch((err: unknown) => err);
    expect(MessageError.is(empty) && empty.code).toBe('VALIDATION');
    await alice.c.call('say', { text: 'fine' });
    expect(await bob.waitFor('message')).toMatchObject({ text: 'fine' });
    expect(bob.of('message')).toHaveLength(1);
  });
});

describe('samples/chat.ts startChat: the page and the module files', () => {
  it('serves the page that imports the typed client from /wsgate/, zod’s ES modules, nothing outside them, and 426 at the gateway', async () => {
    const chat = await startChat(0, '127.0.0.1');
    onCleanup(() => chat.stop());
    const base = `http://127.0.0.1:${chat.address.port}`;
    const page = await fetchText(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("import { connect, defineContract, MessageError } from '/wsgate/client-browser.js'");
    expect(page.body).toContain("chat.handle('confirm'");
    expect(page.body).toContain("chat.stream('history'");
    const zod = await fetchText(`${base}/wsgate/zod/index.js`);
    expect(zod.status).toBe(200);
    expect(zod.body).toContain('export');
    // JavaScript files outside the two folders, reached with encoded slashes (URL parsing keeps them).
    expect((await fetchText(`${base}/wsgate/zod/..%2Fws%2Findex.js`)).status).toBe(404);
    expect((await fetchText(`${base}/wsgate/..%2F..%2Fjest.config.js`)).status).toBe(404);
    expect((await fetchText(`${base}/wsgate/zod/..%2Fzod%2Fpackage.json`)).status).toBe(404);
    expect((await fetchText(`${base}/chat/lobby`)).status).toBe(426);
    expect(page.body).toContain("fetch('/token?name=' + encodeURIComponent(name))");
  });
});
