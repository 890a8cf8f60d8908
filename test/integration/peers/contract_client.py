"""A client of the wsgate.v1 contract wire format (docs/protocol.md), written from the document
alone with `websockets` (legacy asyncio API of websockets 10.x).

    /usr/bin/python3 contract_client.py ws://127.0.0.1:PORT/chat

The gateway speaks the `chat` contract of test/protocol/fixtures.ts, with handlers that:
`say` replies {"id": "m-" + text}; text "slow" sends the event message {"text": "slow started"},
then waits until cancelled; text "confirm" first asks the client `confirm` (a server request) and
replies {"id": "confirmed-" + answer}. `typing` (an event) answers with the event
message {"text": "typing " + on}. `history` streams {"n": 0} ... {"n": before - 1}.

Prints one JSON line per step, ``STEP {"step": ..., ...}``, with what it observed (the calling
test asserts on them), then ``RESULT {"errors": [...]}``. A failing step is recorded under
"errors" rather than aborting the others. Exit status is 0 unless the script itself is broken.
"""
import asyncio
import json
import sys
import traceback

import websockets

TIMEOUT = 10


class Peer:
    """One connection: a reader task keeps every message; steps wait for the one they need."""

    def __init__(self, ws):
        self.ws = ws
        self.received = []
        self.changed = asyncio.Condition()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        try:
            async for text in self.ws:
                message = json.loads(text)
                async with self.changed:
                    self.received.append(message)
                    self.changed.notify_all()
        finally:
            async with self.changed:
                self.changed.notify_all()

    async def send(self, message):
        await self.ws.send(json.dumps(message))

    async def next(self, predicate, what):
        async def find():
            async with self.changed:
                while True:
                    for m in self.received:
                        if predicate(m):
                            return m
                    if self.reader.done():
                        raise ConnectionError(f"the connection ended before {what}")
                    await self.changed.wait()
        return await asyncio.wait_for(find(), TIMEOUT)

    def answer(self, id_):
        """The reply or error reply to request id_ (not a stream item)."""
        return self.next(lambda m: m.get("id") == id_ and "type" not in m and "more" not in m
                         and ("data" in m or "error" in m), f"the answer to {id_!r}")

    async def request(self, type_, data, id_):
        await self.send({"type": type_, "id": id_, "data": data})
        return await self.answer(id_)

    def since(self, start):
        return self.received[start:]


def step_line(name, observed):
    print("STEP " + json.dumps({"step": name, **observed}), flush=True)


async def run_step(errors, name, coro):
    try:
        step_line(name, await asyncio.wait_for(coro, 3 * TIMEOUT))
    except Exception as exc:  # recorded for the test's failure message
        errors.append(f"{name}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")


async def main(url):
    errors = []
    async with websockets.connect(url, subprotocols=["wsgate.v1"], open_timeout=TIMEOUT) as ws:
        peer = Peer(ws)

        async def handshake():
            return {"subprotocol": ws.subprotocol}

        async def request():
            int_reply = await peer.request("say", {"text": "héllo ✓ 😀"}, 1)
            str_reply = await peer.request("say", {"text": "b"}, "req-2")
            max_reply = await peer.request("say", {"text": "c"}, 2 ** 53 - 1)
            null_reply = await peer.request("typing", {"on": False}, 3)  # a type without a reply
            return {"intId": int_reply, "stringId": str_reply, "maxId": max_reply, "noReplyType": null_reply}

        async def event():
            await peer.send({"type": "typing", "data": {"on": True}})  # an event: no answer, but the handler sends one
            got = await peer.next(lambda m: m.get("type") == "message" and m["data"]["text"] == "typing true", "the message event")
            return {"event": got}

        async def validation():
            say = await peer.request("say", {"text": 12}, 10)
            history = await peer.request("history", {"before": "soon"}, 11)
            root = await peer.request("say", [1, 2], 12)
            start = len(peer.received)
            await peer.send({"type": "say", "data": {"text": ""}})  # an event: the answer is a $error
            event = await peer.next(lambda m: m.get("type") == "$error", "the $error")
            return {"say": say, "history": history, "root": root, "event": event,
                    "eventPosition": peer.since(start).index(event)}

        async def unknown_type():
            req = await peer.request("shout", {"loud": True}, 20)
            await peer.send({"type": "shout"})
            event = await peer.next(lambda m: m.get("type") == "$error" and m.get("error", {}).get("code") == "UNKNOWN_TYPE",
                                    "the UNKNOWN_TYPE $error")
            # unknown $ types and unknown fields are ignored
            await peer.send({"type": "$future", "id": 21, "data": 1})
            after = await peer.request("say", {"text": "after", "extra": [1]}, 22)
            later_21 = [m for m in peer.received if m.get("id") == 21]
            return {"request": req, "event": event, "afterIgnored": after, "answersTo21": later_21}

        async def cancel():
            start = len(peer.received)
            await peer.send({"type": "say", "id": 30, "data": {"text": "slow"}})
            await peer.next(lambda m: m.get("type") == "message" and m["data"]["text"] == "slow started", "the slow handler to start")
            await peer.send({"type": "$cancel", "id": 30})
            # with one handler at a time, this answer comes once the cancelled handler has ended
            after = await peer.request("say", {"text": "next"}, 31)
            return {"after": after, "answersTo30": [m for m in peer.since(start) if m.get("id") == 30]}

        async def stream():
            start = len(peer.received)
            await peer.send({"type": "history", "id": 40, "data": {"before": 4}})
            end = await peer.next(lambda m: m.get("id") == 40 and m.get("more") is False, "the end of the stream")
            frames = [m for m in peer.since(start) if m.get("id") == 40]
            return {"frames": frames, "endIsLast": frames[-1] is end}

        async def server_request():
            start = len(peer.received)
            await peer.send({"type": "say", "id": 50, "data": {"text": "confirm"}})
            ask = await peer.next(lambda m: m.get("type") == "confirm" and "id" in m, "the server's confirm request")
            await peer.send({"id": ask["id"], "data": True})
            reply = await peer.answer(50)
            return {"request": ask, "reply": reply, "order": [m.get("type", "reply") for m in peer.since(start)]}

        async def id_length():
            # "a string of 1 to 64 characters": Python counts code points, JavaScript UTF-16 code units
            fits = "\U0001F600" * 32  # 32 code points, 64 code units
            over = "\U0001F600" * 33  # 33 code points, 66 code units
            start = len(peer.received)
            fits_reply = await peer.request("say", {"text": "fits"}, fits)
            await peer.send({"type": "say", "id": over, "data": {"text": "over"}})
            probe = await peer.request("say", {"text": "probe"}, 60)
            between = peer.since(start)
            answer = between[between.index(fits_reply) + 1: between.index(probe)]
            return {"fits": fits_reply == {"id": fits, "data": {"id": "m-fits"}}, "fitsLen": len(fits),
                    "overLen": len(over), "over": answer}

        await run_step(errors, "handshake", handshake())
        await run_step(errors, "request", request())
        await run_step(errors, "event", event())
        await run_step(errors, "validation", validation())
        await run_step(errors, "unknownType", unknown_type())
        await run_step(errors, "cancel", cancel())
        await run_step(errors, "stream", stream())
        await run_step(errors, "serverRequest", server_request())
        await run_step(errors, "idLength", id_length())
        await ws.close(1000, "done")
        await peer.reader
        errors.extend(f"unexpected $error: {m}" for m in peer.received
                      if m.get("type") == "$error" and m["error"]["code"] not in ("VALIDATION", "UNKNOWN_TYPE", "BAD_MESSAGE"))
    print("RESULT " + json.dumps({"errors": errors, "closeCode": ws.close_code}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
