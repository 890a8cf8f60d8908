/** The page served at `/` by the echo sample: connects, sends "Hello, world", shows the answer. */
export const ECHO_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wsgate echo</title></head>
<body>
  <h1>wsgate echo</h1>
  <form id="form"><input id="text" value="Hello, world" autocomplete="off"> <button>Send</button></form>
  <p>Status: <span id="status">connecting…</span></p>
  <ul id="log"></ul>
  <script>
    const log = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('log').append(li); };
    const ws = new WebSocket('ws://' + location.host + '/websocket');
    ws.onopen = () => { document.getElementById('status').textContent = 'open'; ws.send('Hello, world'); };
    ws.onmessage = (e) => log(e.data);
    ws.onclose = (e) => { document.getElementById('status').textContent = 'closed (' + e.code + ')'; };
    document.getElementById('form').onsubmit = (e) => { e.preventDefault(); ws.send(document.getElementById('text').value); };
  </script>
</body>
</html>
`;
