"""tornado's websocket_connect as a client of a server under test.

    /usr/bin/python3 tornado_client.py ws://127.0.0.1:PORT

Same checks and same ``RESULT <json>`` line as websockets_client.py (see there and
tornado_server.py for what the server must offer).
"""
import asyncio
import json
import sys
import traceback

import tornado
from tornado.websocket import websocket_connect

TIMEOUT = 10


async def connect(url, **kwargs):
    conn = await websocket_connect(url, connect_timeout=TIMEOUT, max_message_size=2 ** 24, **kwargs)
    conn.pings_seen = []
    conn.pongs_seen = []
    # tornado calls these hooks on the connection object; instance attributes override them
    conn.on_ping = lambda data: conn.pings_seen.append(data.decode("utf-8", "replace"))
    conn.on_pong = lambda data: conn.pongs_seen.append(data.decode("utf-8", "replace"))
    return conn


async def recv(conn):
    return await asyncio.wait_for(conn.read_message(), TIMEOUT)


def extensions(conn):
    header = conn.headers.get("Sec-WebSocket-Extensions", "")
    return [part.split(";")[0].strip() for part in header.split(",") if part.strip()]


async def step(result, name, coro):
    try:
        await asyncio.wait_for(coro, 3 * TIMEOUT)
    except Exception as exc:  # recorded for the test's failure message
        result["errors"].append(f"{name}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")


async def main(base):
    r = {"peer": "tornado", "version": tornado.version, "errors": []}

    async def main_connection():
        conn = await connect(base + "/echo", subprotocols=["v1", "v2"], compression_options={})
        r["subprotocol"] = conn.selected_subprotocol
        r["extensions"] = extensions(conn)
        await conn.write_message("Hello, world")
        r["echoText"] = await recv(conn)
        await conn.write_message("héllo ✓ 😀")
        r["echoUnicode"] = await recv(conn)
        payload = bytes(range(256)) * 4
        await conn.write_message(payload, binary=True)
        got = await recv(conn)
        r["echoBinaryType"] = type(got).__name__
        r["echoBinaryEqual"] = got == payload
        big = "wsgate " * 50000
        await conn.write_message(big)
        got = await recv(conn)
        r["echoBigLength"] = len(got)
        r["echoBigEqual"] = got == big
        await conn.write_message("json")
        r["json"] = json.loads(await recv(conn))
        # client ping -> server pong: the pong is read before the answer to the next message
        conn.ping(b"py-ping")
        await conn.write_message("pings")
        r["serverSawPings"] = json.loads(await recv(conn))
        r["pongReceived"] = "py-ping" in conn.pongs_seen
        # server ping -> tornado's automatic pong
        await conn.write_message("ping:srv-ping")
        r["pingedReply"] = await recv(conn)
        r["clientSawPings"] = list(conn.pings_seen)
        await conn.write_message("pongs")
        r["serverSawPongs"] = json.loads(await recv(conn))
        # we close with 4001 and wait for the end of the connection
        conn.close(4001, "client bye")
        end = await recv(conn)
        r["clientCloseEnd"] = end
        r["clientCloseEcho"] = {"code": conn.close_code, "reason": conn.close_reason}

    async def server_close():
        conn = await connect(base + "/echo")
        r["noOfferSubprotocol"] = conn.selected_subprotocol
        await conn.write_message("close:4002:server bye")
        msg = await recv(conn)
        r["serverCloseMessage"] = msg
        r["serverClose"] = {"code": conn.close_code, "reason": conn.close_reason}

    async def unmatched_subprotocol():
        conn = await connect(base + "/echo", subprotocols=["v1"])
        r["unmatchedSubprotocol"] = conn.selected_subprotocol
        await conn.write_message("still works")
        r["unmatchedEcho"] = await recv(conn)
        conn.close()

    async def no_compression_offered():
        conn = await connect(base + "/echo")
        r["noOfferExtensions"] = extensions(conn)
        await conn.write_message("plain")
        r["noOfferEcho"] = await recv(conn)
        conn.close()

    async def plain_path():
        conn = await connect(base + "/plain", compression_options={})
        r["plainPathExtensions"] = extensions(conn)
        await conn.write_message("plain path")
        r["plainPathEcho"] = await recv(conn)
        conn.close()

    await step(r, "main", main_connection())
    await step(r, "serverClose", server_close())
    await step(r, "unmatchedSubprotocol", unmatched_subprotocol())
    await step(r, "noCompressionOffered", no_compression_offered())
    await step(r, "plainPath", plain_path())
    # let the close frames of the last connections go out before the loop ends
    await asyncio.sleep(0.2)
    print("RESULT " + json.dumps(r), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1].rstrip("/")))
