/**
 * Stream handlers: many items in order, and backpressure: each item is sent once the previous one
 * was flushed, so a client that stops reading pauses the generator and the server's buffer stays small.
 */
import { z } from 'zod';
import { Gateway, OnMessage, type In, type MessageContext, type Out } from '../../src';
import { defineContract } from '../../src/contract';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { JsonPeer } from './fixtures';

const feed = defineContract({
  client: {
    items: { data: z.object({ count: z.number().int(), size: z.number().int() }), reply: z.object({ i: z.number(), pad: z.string() }), stream: true },
  },
});

function feedGateway() {
  const state = { yielded: 0, finished: false, aborted: false };
  @Gateway('/feed', { contract: feed })
  class FeedGateway {
    @OnMessage(feed, 'items')
    async *items({ count, size }: In<typeof feed, 'items'>, ctx: MessageContext): AsyncIterable<Out<typeof feed, 'items'>> {
      const pad = 'x'.repeat(size);
      try {
        for (let i = 0; i < count; i++) {
          state.yielded = i + 1;
          yield { i, pad };
        }
      } finally {
        state.finished = true;
        state.aborted = ctx.signal.aborted;
      }
    }
  }
  return { FeedGateway, state };
}

describe('contract streams', () => {
  it('10,000 items arrive in order, then the end marker', async () => {
    const { FeedGateway } = feedGateway();
    const { url } = await startApp([FeedGateway]);
    const peer = await JsonPeer.open(url('/feed'));
    peer.send({ type: 'items', id: 1, data: { count: 10_000, size: 8 } });
    await peer.next((m) => m.more === false, 'the end of the stream');
    expect(peer.received).toHaveLength(10_001);
    peer.received.slice(0, -1).forEach((m, i) => {
      if ((m.data as { i: number }).i !== i || m.more !== true) throw new Error(`item ${i} arrived as ${JSON.stringify(m)}`);
    });
    expect(peer.received[10_000]).toEqual({ id: 1, more: false });
  });

  it('a client that stops reading pauses the generator; reading again lets it finish, in order', async () => {
    const { FeedGateway, state } = feedGateway();
    const { url } = await startApp([FeedGateway]);
    const peer = await JsonPeer.open(url('/feed'));
    peer.ws.pause(); // the client stops reading its socket
    const count = 20_000;
    const size = 4096; // 80 MiB in all: far more than the socket buffers hold
    peer.send({ type: 'items', id: 1, data: { count, size } });
    await eventually(() => state.yielded > 0, 'the stream to start');
    // Wait until the generator stalls: the yielded count stops moving well short of the total.
    let last = -1;
    while (state.yielded !== last) {
      last = state.yielded;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state.yielded).toBeLessThan(count / 4);
    expect(state.finished).toBe(false);
    peer.ws.resume();
    await peer.next((m) => m.more === false, 'the end of the stream');
    expect(peer.received).toHaveLength(count + 1);
    expect(peer.received.slice(0, -1).every((m, i) => (m.data as { i: number }).i === i)).toBe(true);
    expect(state).toMatchObject({ yielded: count, finished: true, aborted: false });
  });

  it('$cancel stops the generator (its finally runs, its signal aborted) and nothing more is sent for that id', async () => {
    const { FeedGateway, state } = feedGateway();
    const { url } = await startApp([FeedGateway]);
    const peer = await JsonPeer.open(url('/feed'));
    peer.ws.pause();
    peer.send({ type: 'items', id: 1, data: { count: 1_000_000, size: 1024 } });
    await eventually(() => state.yielded > 10, 'the stream to start');
    peer.send({ type: '$cancel', id: 1 });
    await eventually(() => state.finished, 'the generator to stop');
    expect(state.aborted).toBe(true);
    peer.ws.resume();
    peer.send({ type: 'items', id: 2, data: { count: 1, size: 1 } });
    await peer.next((m) => m.id === 2 && m.more === false, 'the second stream');
    expect(peer.received.some((m) => m.id === 1 && m.more === false)).toBe(false);
    expect(state.yielded).toBeLessThan(1_000_000);
  });
});
