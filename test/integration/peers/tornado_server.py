"""A tornado WebSocket server used as an independent peer by wsgate's integration tests.

Run with Debian's interpreter (it sees python3-tornado): /usr/bin/python3 tornado_server.py
It binds 127.0.0.1 on a free port, prints ``LISTENING <port>`` and then one
``EVENT <json>`` line per thing that happened (open, ping, pong, closed), flushed at once.

Paths:
  /echo    echo handler (accepts any Origin), permessage-deflate enabled
  /plain   the same without compression
  /strict  the same, but with tornado's default check_origin (a foreign Origin gets 403)
  /page    a plain HTTP page (200), not a WebSocket endpoint

Messages understood by every handler (anything else is echoed, text as text, bytes as bytes):
  close:CODE:REASON   the server closes with CODE and REASON
  ping:DATA           the server sends a ping with DATA, then answers "pinged:DATA"
  pings / pongs       JSON list of the ping / pong payloads this connection received
  info                JSON {"subprotocol", "compressed", "origin", "path"}
  json                JSON {"hello": "world", "n": 42, "list": [1, 2, 3]}
"""
import asyncio
import json
import signal
import sys

import tornado.web
import tornado.websocket


def emit(kind, **fields):
    print("EVENT " + json.dumps({"type": kind, **fields}), flush=True)


class EchoHandler(tornado.websocket.WebSocketHandler):
    compress = True

    def check_origin(self, origin):
        return True

    def get_compression_options(self):
        return {} if self.compress else None

    def select_subprotocol(self, subprotocols):
        emit("offered", path=self.request.path, subprotocols=subprotocols)
        return "v2" if "v2" in subprotocols else None

    def open(self):
        self.pings = []
        self.pongs = []
        emit("open", path=self.request.path, subprotocol=self.selected_subprotocol,
             origin=self.request.headers.get("Origin"))

    def on_message(self, message):
        if isinstance(message, str):
            if message.startswith("close:"):
                _, code, reason = message.split(":", 2)
                self.close(int(code), reason)
                return
            if message.startswith("ping:"):
                data = message[len("ping:"):]
                self.ping(data.encode())
                self.write_message("pinged:" + data)
                return
            if message == "pings":
                self.write_message(json.dumps(self.pings))
                return
            if message == "pongs":
                self.write_message(json.dumps(self.pongs))
                return
            if message == "info":
                self.write_message(json.dumps({
                    "subprotocol": self.selected_subprotocol,
                    # tornado keeps no public flag for the negotiated extension
                    "compressed": self.ws_connection is not None and self.ws_connection._compressor is not None,
                    "origin": self.request.headers.get("Origin"),
                    "path": self.request.path,
                }))
                return
            if message == "json":
                self.write_message({"hello": "world", "n": 42, "list": [1, 2, 3]})
                return
        self.write_message(message, binary=isinstance(message, bytes))

    def on_ping(self, data):
        self.pings.append(data.decode("utf-8", "replace"))
        emit("ping", path=self.request.path, data=data.decode("utf-8", "replace"))

    def on_pong(self, data):
        self.pongs.append(data.decode("utf-8", "replace"))
        emit("pong", path=self.request.path, data=data.decode("utf-8", "replace"))

    def on_close(self):
        emit("closed", path=self.request.path, code=self.close_code, reason=self.close_reason)


class PlainHandler(EchoHandler):
    compress = False


class StrictHandler(EchoHandler):
    # tornado's own rule: the Origin's host must equal the Host header, else 403
    check_origin = tornado.websocket.WebSocketHandler.check_origin


class PageHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("<!doctype html><p>not a websocket</p>")


async def main():
    app = tornado.web.Application([
        (r"/echo", EchoHandler),
        (r"/plain", PlainHandler),
        (r"/strict", StrictHandler),
        (r"/page", PageHandler),
    ])
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"LISTENING {port}", flush=True)
    await stop.wait()
    server.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
