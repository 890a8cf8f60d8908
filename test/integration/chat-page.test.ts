/**
 * The chat sample's page in Chromium: loaded from the sample's own HTTP server (samples/chat.ts run
 * as a process with REDIS_URL), it imports the typed client from the build (dist/esm, made by
 * `npm run build:esm` in beforeAll) and zod's ES modules, no bundler, and logs in through the
 * sample's /token (the token goes in the wsgate.bearer.* subprotocol). A second process over Redis
 * has a Node member (typed client) in the same room.
 */
import type { Page } from 'playwright-core';
import { joinChat, loginAs } from '../helpers/chat-member';
import { launchBrowserWithClientBuild, type TestBrowser } from './helpers/browser';
import { startChatProcess } from './helpers/chat-process';

let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchBrowserWithClientBuild();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** Opens the page for `room` (as `?name=` when given) and waits until it has joined and shown the history. */
async function openChat(port: number, room: string, name?: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('response', (res) => res.status() >= 400 && errors.push(`${res.status()} ${new URL(res.url()).pathname}`));
  const as = name === undefined ? '' : `&name=${encodeURIComponent(name)}`;
  await page.goto(`http://127.0.0.1:${port}/?room=${encodeURIComponent(room)}${as}`);
  await page.waitForSelector('#status[data-ready="true"]', { timeout: 20_000 });
  return { page, errors };
}

/** Waits until the list shows `line` (page code as text: the tests' TypeScript config has no DOM types). */
const waitForLine = (page: Page, line: string): Promise<unknown> =>
  page.waitForFunction(`[...document.querySelectorAll('#log li')].some((li) => li.textContent === ${JSON.stringify(line)})`);

const logOf = (page: Page): Promise<string[]> => page.$$eval('#log li', (items) => items.map((li) => li.textContent ?? ''));

test('a line typed on the page reaches a Node member on the other process over Redis, and back; confirm, typing and history on the page', async () => {
  const [one, two] = await Promise.all([startChatProcess(), startChatProcess()]);
  const room = `page-${process.pid}-${Date.now()}`;
  const { page, errors } = await openChat(one.port, room, 'Ada Lovelace');
  const pageNick = 'Ada Lovelace'; // the name of ?name=, from the token
  expect(await page.textContent('#me')).toBe(pageNick);
  expect(await page.textContent('#status')).toBe('open');

  const bob = await joinChat(`ws://127.0.0.1:${two.port}/chat/${room}`, loginAs(two.base, 'bob'));
  const bobNick = 'bob';
  expect(await bob.waitFor('welcome')).toEqual({ nick: bobNick, room });
  await waitForLine(page, `${bobNick} joined`);

  await page.fill('#text', 'hello from the page');
  await page.click('#send');
  expect(await bob.waitFor('message')).toMatchObject({ nick: pageNick, text: 'hello from the page' });

  // A line that looks like a command: the server asks the page (window.confirm), the page says yes.
  const questions: string[] = [];
  page.once('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.accept();
  });
  await page.fill('#text', '/wave');
  await page.click('#send');
  expect(await bob.waitFor('message', (m) => m.text === '/wave')).toMatchObject({ nick: pageNick });
  expect(questions).toEqual(['"/wave" is not a command here. Send it as a message?']);

  await bob.c.send('typing', { on: true });
  await page.waitForFunction(`document.getElementById('typing').textContent === ${JSON.stringify(`${bobNick} typing…`)}`);
  await bob.c.call('say', { text: 'hi page' });
  await waitForLine(page, `${bobNick}: hi page`);
  expect(await page.textContent('#typing')).toBe('');

  // A second page on the first process (a random guest name) gets that process's lines as the history stream.
  const second = await openChat(one.port, room);
  expect(await second.page.textContent('#me')).toMatch(/^guest-[a-z0-9]+$/);
  expect(await logOf(second.page)).toEqual([`${pageNick}: hello from the page`, `${pageNick}: /wave`]);

  await bob.c.close();
  await waitForLine(page, `${bobNick} left`);
  expect(await logOf(page)).toEqual([
    `${bobNick} joined`,
    `${pageNick}: hello from the page`,
    `${pageNick}: /wave`,
    `${bobNick}: hi page`,
    expect.stringMatching(/ joined$/), // the second page
    `${bobNick} left`,
  ]);
  expect([...errors, ...second.errors]).toEqual([]);
});

test('a page without a token reads why it was refused: the close event says 4401 "token required"', async () => {
  const one = await startChatProcess();
  const { page } = await openChat(one.port, `refused-${process.pid}`);
  // A bare WebSocket from the page (page code as text: the tests' TypeScript config has no DOM types).
  const seen = await page.evaluate(`new Promise((resolve) => {
    const ws = new WebSocket('ws://' + location.host + '/chat/refused');
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  })`);
  expect(seen).toEqual({ code: 4401, reason: 'token required' });
});

test('with tokens that expire every 2 s the page stays open for 10 s without a drop: the typed client fetches /token again and refreshes over the socket', async () => {
  const one = await startChatProcess({ CHAT_TOKEN_TTL: '2' });
  const room = `refresh-${process.pid}-${Date.now()}`;
  const page = await browser.newPage();
  const errors: string[] = [];
  const tokenRequests: number[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('request', (req) => new URL(req.url()).pathname === '/token' && tokenRequests.push(Date.now()));
  await page.goto(`http://127.0.0.1:${one.port}/?room=${room}&name=Grace`);
  await page.waitForSelector('#status[data-ready="true"]', { timeout: 20_000 });
  const states: string[] = [];
  await page.exposeFunction('recordState', (s: string) => states.push(s));
  await page.evaluate(`new MutationObserver(() => window.recordState(document.getElementById('status').textContent))
    .observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true })`);

  // 10 s from the first token: five of its lifetimes.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, tokenRequests[0] + 10_000 - Date.now())));
  expect(tokenRequests.length).toBeGreaterThanOrEqual(5);
  expect(states).toEqual([]); // never left 'open'
  const bob = await joinChat(`ws://127.0.0.1:${one.port}/chat/${room}`, loginAs(one.base, 'bob'));
  await bob.waitFor('welcome');
  await page.fill('#text', 'after the first token');
  await page.click('#send');
  expect(await bob.waitFor('message')).toMatchObject({ nick: 'Grace', text: 'after the first token' });
  expect(errors).toEqual([]);
});
