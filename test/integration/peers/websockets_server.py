"""A `websockets` (asyncio, legacy API of websockets 10.x) server used as an independent peer by
wsgate's integration tests.

Run with Debian's interpreter (it sees python3-websockets): /usr/bin/python3 websockets_server.py
It binds 127.0.0.1 on a free port, prints ``LISTENING <port>`` and then ``EVENT <json>`` lines
(open, ping, pong, closed), flushed at once.

Paths: /echo (any Origin), /strict (Origin, when sent, must be http://<Host header>, else 403 like
tornado's default rule). Any other path answers 404. permessage-deflate is on (websockets' default)
and 'v2' is the only subprotocol it selects.
Messages understood: close:CODE:REASON, ping:DATA, pings, pongs, info, json (see tornado_server.py);
anything else is echoed, text as text and bytes as bytes.
"""
import asyncio
import http
import json
import signal
import sys

import websockets
from websockets.frames import Opcode
from websockets.legacy.server import WebSocketServerProtocol


def emit(kind, **fields):
    print("EVENT " + json.dumps({"type": kind, **fields}), flush=True)


class RecordingProtocol(WebSocketServerProtocol):
    """Records the payloads of the ping and pong frames it reads (websockets answers pings itself)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pings_seen = []
        self.pongs_seen = []

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == Opcode.PING:
            self.pings_seen.append(frame.data.decode("utf-8", "replace"))
            emit("ping", path=self.path, data=frame.data.decode("utf-8", "replace"))
        elif frame.opcode == Opcode.PONG:
            self.pongs_seen.append(frame.data.decode("utf-8", "replace"))
            emit("pong", path=self.path, data=frame.data.decode("utf-8", "replace"))
        return frame


async def process_request(path, headers):
    if path not in ("/echo", "/strict"):
        return http.HTTPStatus.NOT_FOUND, [], b"not found\n"
    if path == "/strict":
        origin = headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1].lower() != headers.get("Host", "").lower():
            return http.HTTPStatus.FORBIDDEN, [], b"cross origin websockets not allowed\n"
    return None


async def handler(ws):
    emit("open", path=ws.path, subprotocol=ws.subprotocol, origin=ws.request_headers.get("Origin"))
    try:
        async for message in ws:
            if isinstance(message, str):
                if message.startswith("close:"):
                    _, code, reason = message.split(":", 2)
                    await ws.close(int(code), reason)
                    break
                if message.startswith("ping:"):
                    data = message[len("ping:"):]
                    await ws.ping(data.encode())
                    await ws.send("pinged:" + data)
                    continue
                if message == "pings":
                    await ws.send(json.dumps(ws.pings_seen))
                    continue
                if message == "pongs":
                    await ws.send(json.dumps(ws.pongs_seen))
                    continue
                if message == "info":
                    await ws.send(json.dumps({
                        "subprotocol": ws.subprotocol,
                        "compressed": any(e.name == "permessage-deflate" for e in ws.extensions),
                        "origin": ws.request_headers.get("Origin"),
                        "path": ws.path,
                    }))
                    continue
                if message == "json":
                    await ws.send(json.dumps({"hello": "world", "n": 42, "list": [1, 2, 3]}))
                    continue
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit("closed", path=ws.path, code=ws.close_code, reason=ws.close_reason)


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        create_protocol=RecordingProtocol,
        process_request=process_request,
        subprotocols=["v2"],
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"LISTENING {port}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
