/**
 * What the chat sample serves over plain HTTP: the page at `/`, the demo login at `/token`, the
 * typed client's ES-module build (dist/esm, made by `npm run build`) under `/wsgate/`, and zod's own
 * ES modules under `/wsgate/zod/`. No bundler: the browser follows the relative imports of those files.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, normalize, sep } from 'node:path';
import { MAX_NAME_LENGTH, validName, type ChatTokens } from './chat-auth';

/** dist/esm seen from samples/ (run from source) or from dist/samples/ (run from the build). */
const ESM_DIR = [join(__dirname, '..', 'dist', 'esm'), join(__dirname, '..', 'esm')].find((d) => existsSync(join(d, 'client-browser.js')))
  ?? join(__dirname, '..', 'dist', 'esm');
const ZOD_DIR = dirname(require.resolve('zod/package.json'));

/**
 * The demo login: `GET /token?name=<name>` answers a token for that name as plain text, or 400 for
 * a name that is empty or longer than 32 characters. Anyone gets a token for any name: **a real app
 * would check a password or its session cookie here** before issuing one.
 */
function serveToken(url: URL, res: ServerResponse, tokens: ChatTokens): void {
  const name = validName(url.searchParams.get('name'));
  if (name === undefined) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`name must be 1 to ${MAX_NAME_LENGTH} characters\n`);
    return;
  }
  // A credential: never cached by the browser or a proxy.
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(tokens.issue(name));
}

/**
 * Serves the page, the demo login (`/token`, with `tokens`) and the module files; returns false
 * for any other request (the app answers it: the WebSocket upgrade, or 426). A file outside the
 * two folders is never served.
 */
export function serveChatFiles(req: IncomingMessage, res: ServerResponse, tokens: ChatTokens): boolean {
  if (req.method !== 'GET') return false;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/token') {
    serveToken(url, res, tokens);
    return true;
  }
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(CHAT_PAGE);
    return true;
  }
  if (path === '/favicon.ico') {
    res.writeHead(204).end(); // browsers ask for it: no icon, and no 404 in the page's console
    return true;
  }
  const [dir, rest] = path.startsWith('/wsgate/zod/') ? [ZOD_DIR, path.slice(12)] : path.startsWith('/wsgate/') ? [ESM_DIR, path.slice(8)] : [];
  if (!dir || rest === undefined) return false;
  const file = normalize(join(dir, decodeURIComponent(rest)));
  if (!file.startsWith(dir + sep) || !file.endsWith('.js')) {
    res.writeHead(404).end();
    return true;
  }
  readFile(file).then(
    // Module scripts must be served as JavaScript.
    (body) => void res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(body),
    () => void res.writeHead(404, { 'Content-Type': 'text/plain' }).end(dir === ESM_DIR ? 'not built: run `npm run build`\n' : 'not found\n'),
  );
  return true;
}

/**
 * The page: logs in as `?name=` (default a random guest name) through `/token`, joins the room of
 * `?room=` (default "lobby"), shows the history, the lines, who joins, leaves and types, and
 * answers the server's `confirm` with `window.confirm`. `getToken` is called for every connection
 * attempt (and, once the server asks, before the token expires), so a reconnect never reuses an
 * expired token. The contract below mirrors samples/chat-contract.ts (a page cannot import
 * TypeScript); `window.chat` is the client.
 */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8"><title>wsgate chat</title>
  <style>
    body { font: 15px system-ui, sans-serif; max-width: 40em; margin: 1em auto; }
    #log { list-style: none; padding: 0; min-height: 10em; border: 1px solid #ccc; padding: .5em; }
    #log .info { color: #777; font-style: italic; }
    textarea { width: 100%; box-sizing: border-box; }
  </style>
</head>
<body>
  <h1>wsgate chat: <span id="room"></span></h1>
  <p>You are <b id="me">…</b> · <span id="status">connecting</span> · <span id="typing"></span></p>
  <form id="nick-form"><input id="nick" placeholder="new nickname" maxlength="32" autocomplete="off"> <button>Rename</button></form>
  <ul id="log"></ul>
  <form id="form"><textarea id="text" rows="3" placeholder="Say something (Enter sends)"></textarea><button id="send">Send</button></form>
  <script type="module">
    import { connect, defineContract, MessageError } from '/wsgate/client-browser.js';
    import { z } from '/wsgate/zod/index.js';

    const chatLine = z.object({ id: z.string(), nick: z.string(), text: z.string(), at: z.number() });
    const contract = defineContract({
      client: {
        say: { data: z.object({ text: z.string().min(1).max(2000) }), reply: z.object({ id: z.string() }) },
        typing: { data: z.object({ on: z.boolean() }), volatile: true },
        history: { data: z.object({ limit: z.number().int().min(1).max(100).optional() }), reply: chatLine, stream: true },
        nick: { data: z.object({ nick: z.string().trim().min(1).max(32) }), reply: z.object({ nick: z.string() }) },
      },
      server: {
        welcome: { data: z.object({ nick: z.string(), room: z.string() }) },
        message: { data: chatLine },
        typing: { data: z.object({ nick: z.string(), on: z.boolean() }) },
        joined: { data: z.object({ nick: z.string() }) },
        left: { data: z.object({ nick: z.string() }) },
        confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
      },
      errors: { NOT_SENT: z.object({ reason: z.string() }) },
    });

    const $ = (id) => document.getElementById(id);
    const add = (text, cls) => { const li = document.createElement('li'); li.textContent = text; if (cls) li.className = cls; $('log').append(li); };
    const line = (m) => add(m.nick + ': ' + m.text);
    const params = new URLSearchParams(location.search);
    const room = params.get('room') || 'lobby';
    // /token takes 1 to 32 characters: a longer ?name= is cut, an empty one is a random guest.
    const name = (params.get('name') || '').trim().slice(0, 32) || 'guest-' + Math.random().toString(36).slice(2, 8);
    $('room').textContent = room;

    // The demo login: a token for this name (a real app would send its session or a password).
    const getToken = () => fetch('/token?name=' + encodeURIComponent(name))
      .then((r) => r.ok ? r.text() : r.text().then((t) => { throw new Error('login refused: ' + t.trim()); }));
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const chat = await connect(contract, scheme + location.host + '/chat/' + encodeURIComponent(room), {
      reconnect: true,
      getToken,
      onStateChange: (s) => { $('status').textContent = s; },
    });
    // Listeners right after connect: the welcome is sent as the connection opens.
    const typers = new Set();
    const showTypers = () => { $('typing').textContent = typers.size ? [...typers].join(', ') + ' typing…' : ''; };
    chat.on('welcome', ({ nick }) => { $('me').textContent = nick; });
    chat.on('message', (m) => { typers.delete(m.nick); showTypers(); line(m); });
    chat.on('joined', ({ nick }) => add(nick + ' joined', 'info'));
    chat.on('left', ({ nick }) => { typers.delete(nick); showTypers(); add(nick + ' left', 'info'); });
    chat.on('typing', ({ nick, on }) => { on ? typers.add(nick) : typers.delete(nick); showTypers(); });
    chat.handle('confirm', ({ question }) => window.confirm(question));
    window.chat = chat;

    for await (const m of chat.stream('history', { limit: 50 })) line(m);
    $('status').dataset.ready = 'true';

    let typing = false, idle;
    const setTyping = (on) => { if (on !== typing) { typing = on; chat.send('typing', { on }).catch(() => {}); } };
    $('text').addEventListener('input', () => { setTyping(true); clearTimeout(idle); idle = setTimeout(() => setTyping(false), 2000); });
    $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('form').requestSubmit(); } });
    $('form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = $('text').value.trim();
      if (!text) return;
      $('text').value = '';
      clearTimeout(idle);
      setTyping(false);
      try {
        await chat.call('say', { text });
        line({ nick: $('me').textContent, text });
      } catch (err) {
        add(chat.isError(err, 'NOT_SENT') ? 'not sent (' + err.data.reason + ')' : 'error: ' + err.message, 'info');
      }
    });
    $('nick-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try { $('me').textContent = (await chat.call('nick', { nick: $('nick').value })).nick; $('nick').value = ''; }
      catch (err) { add('error: ' + err.message, 'info'); }
    });
  </script>
</body>
</html>
`;
