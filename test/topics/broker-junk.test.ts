/**
 * What a hub receives from its broker is checked before it reaches a subscriber: a crafted message
 * (a text envelope whose payload is not valid UTF-8, or bytes that are no envelope at all) is
 * dropped, counted, and reported in one rate-limited warning, not one per message.
 */
import WebSocket from 'ws';
import { MemoryBroker, MemoryBus } from '../../src';
import { JunkReport } from '../../src/topics/junk-report';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { collect } from '../helpers/ws-client';
import { hubOf, subscriber, subscriberConnections, SubscriberGateway } from '../helpers/topics';

beforeEach(() => {
  subscriberConnections.length = 0;
});

/** A wire envelope built by hand: kind (0 text, 1 binary), an origin, then the raw payload. */
function envelope(kind: number, payload: Buffer, origin = 'intruder'): Buffer {
  return Buffer.concat([Buffer.from([kind, origin.length]), Buffer.from(origin, 'latin1'), payload]);
}

/** Another "node" on the app's bus that writes raw bytes to a topic's channel. */
async function injector(bus: MemoryBus): Promise<MemoryBroker> {
  const broker = new MemoryBroker({ bus });
  await broker.start({ onMessage: () => undefined, logger: memoryLogger() });
  onCleanup(() => broker.close());
  return broker;
}

describe('Hub: messages from the broker are validated', () => {
  it('drops text envelopes whose payload is not valid UTF-8: subscribers stay open, get nothing, one warning for many', async () => {
    const bus = new MemoryBus();
    const node = await startApp([SubscriberGateway], { broker: new MemoryBroker({ bus }) });
    const one = await subscriber(node.url('/topics/room'));
    const two = await subscriber(node.url('/topics/room'));
    const raw = await injector(bus);
    const invalidUtf8 = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0xc3]); // "hi", then bytes no UTF-8 text contains
    for (let i = 0; i < 100; i++) await raw.publish('room', envelope(0, invalidUtf8));
    for (let i = 0; i < 100; i++) await raw.publish('room', Buffer.from([7])); // no envelope at all
    // A valid message after the junk: it arrives, so the junk before it was not merely late.
    await raw.publish('room', envelope(0, Buffer.from('valid', 'utf8')));
    await raw.publish('room', envelope(1, Buffer.from([0xff, 0xfe]))); // binary payloads are any bytes
    await eventually(() => [one, two].every((ws) => collect(ws).length === 3), 'the valid messages');
    expect(collect(one).slice(1)).toEqual(['valid', Buffer.from([0xff, 0xfe])]);
    expect(collect(two).slice(1)).toEqual(['valid', Buffer.from([0xff, 0xfe])]);
    expect(one.readyState).toBe(WebSocket.OPEN);
    expect(two.readyState).toBe(WebSocket.OPEN);
    expect(node.logger.warnings).toHaveLength(1);
    expect(node.logger.warnings[0]).toMatch(/dropped 1 message/);
    expect(hubOf(node.app).localSubscribers('room')).toBe(2);
  });
});

describe('JunkReport', () => {
  it('warns at once, then at most once per interval with the count dropped since the last warning', () => {
    const logger = memoryLogger();
    let now = 1_000_000;
    const report = new JunkReport(logger, 10_000, () => now);
    for (let i = 0; i < 200; i++) report.drop('t', 'not an envelope');
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/dropped 1 message/);
    now += 9_999;
    report.drop('t', 'not an envelope');
    expect(logger.warnings).toHaveLength(1);
    now += 1;
    report.drop('t', 'text payload that is not valid UTF-8');
    expect(logger.warnings).toHaveLength(2);
    expect(logger.warnings[1]).toMatch(/dropped 201 message.*not valid UTF-8/);
  });
});
