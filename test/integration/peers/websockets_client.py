"""`websockets` (legacy asyncio API of websockets 10.x) as a client of a server under test.

    /usr/bin/python3 websockets_client.py ws://127.0.0.1:PORT

The server must offer the paths and messages described in tornado_server.py (/echo with
permessage-deflate and 'v2' selection, /plain without compression; close:CODE:REASON, ping:DATA,
pings, pongs, json). Runs scripted checks and prints what it observed as one line
``RESULT <json>``; the calling test asserts on it. A failing step is recorded under "errors"
rather than aborting the others. Exit status is 0 unless the script itself is broken.
"""
import asyncio
import json
import sys
import traceback

import websockets
from websockets.frames import Opcode
from websockets.legacy.client import WebSocketClientProtocol

TIMEOUT = 10


class RecordingProtocol(WebSocketClientProtocol):
    """Records the payloads of the pings it reads (websockets answers them itself)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pings_seen = []

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == Opcode.PING:
            self.pings_seen.append(frame.data.decode("utf-8", "replace"))
        return frame


def connect(url, **kwargs):
    return websockets.connect(url, create_protocol=RecordingProtocol, open_timeout=TIMEOUT,
                              max_size=2 ** 24, **kwargs)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def step(result, name, coro):
    try:
        await asyncio.wait_for(coro, 3 * TIMEOUT)
    except Exception as exc:  # recorded for the test's failure message
        result["errors"].append(f"{name}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")


async def main(base):
    r = {"peer": "websockets", "version": websockets.__version__, "errors": []}

    async def main_connection():
        # subprotocols offered in this order; the server should pick v2; deflate is offered by default
        async with connect(base + "/echo", subprotocols=["v1", "v2"]) as ws:
            r["subprotocol"] = ws.subprotocol
            r["extensions"] = [e.name for e in ws.extensions]
            await ws.send("Hello, world")
            r["echoText"] = await recv(ws)
            await ws.send("héllo ✓ 😀")
            r["echoUnicode"] = await recv(ws)
            payload = bytes(range(256)) * 4
            await ws.send(payload)
            got = await recv(ws)
            r["echoBinaryType"] = type(got).__name__
            r["echoBinaryEqual"] = got == payload
            big = "wsgate " * 50000  # 350 kB, very compressible
            await ws.send(big)
            got = await recv(ws)
            r["echoBigLength"] = len(got)
            r["echoBigEqual"] = got == big
            await ws.send("json")
            r["json"] = json.loads(await recv(ws))
            # client ping -> server pong (matched by payload)
            waiter = await ws.ping(b"py-ping")
            await asyncio.wait_for(waiter, TIMEOUT)
            r["pongReceived"] = True
            await ws.send("pings")
            r["serverSawPings"] = json.loads(await recv(ws))
            # server ping -> our automatic pong
            await ws.send("ping:srv-ping")
            r["pingedReply"] = await recv(ws)
            r["clientSawPings"] = list(ws.pings_seen)
            await ws.send("pongs")
            r["serverSawPongs"] = json.loads(await recv(ws))
            # we close with 4001
            await ws.close(4001, "client bye")
            r["clientCloseEcho"] = {"code": ws.close_code, "reason": ws.close_reason}

    async def server_close():
        async with connect(base + "/echo") as ws:
            r["noOfferSubprotocol"] = ws.subprotocol
            await ws.send("close:4002:server bye")
            try:
                await recv(ws)
                r["serverCloseGotMessage"] = True
            except websockets.ConnectionClosed as exc:
                r["serverClose"] = {"code": exc.code, "reason": exc.reason}
            r["serverCloseAttrs"] = {"code": ws.close_code, "reason": ws.close_reason}

    async def unmatched_subprotocol():
        async with connect(base + "/echo", subprotocols=["v1"]) as ws:
            r["unmatchedSubprotocol"] = ws.subprotocol
            await ws.send("still works")
            r["unmatchedEcho"] = await recv(ws)

    async def no_compression_offered():
        async with connect(base + "/echo", compression=None) as ws:
            r["noOfferExtensions"] = [e.name for e in ws.extensions]
            await ws.send("plain")
            r["noOfferEcho"] = await recv(ws)

    async def plain_path():
        async with connect(base + "/plain") as ws:
            r["plainPathExtensions"] = [e.name for e in ws.extensions]
            await ws.send("plain path")
            r["plainPathEcho"] = await recv(ws)

    await step(r, "main", main_connection())
    await step(r, "serverClose", server_close())
    await step(r, "unmatchedSubprotocol", unmatched_subprotocol())
    await step(r, "noCompressionOffered", no_compression_offered())
    await step(r, "plainPath", plain_path())
    print("RESULT " + json.dumps(r), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1].rstrip("/")))
