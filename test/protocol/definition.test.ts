/** defineContract and createApp's checks of contract gateways: mistakes fail at start, naming the gateway. */
import { z } from 'zod';
import { createApp, Gateway, GatewayDefinitionError, OnMessage, type In } from '../../src';
import { defineContract } from '../../src/contract';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { JsonPeer } from './fixtures';

const pair = defineContract({
  client: { a: { data: z.string() }, b: { data: z.number(), reply: z.number() } },
});

describe('defineContract', () => {
  it('refuses names starting with $, payloads that are not Standard Schemas, and streams without a reply schema', () => {
    expect(() => defineContract({ client: { $auth: {} } })).toThrow(/"\$auth": names starting with "\$" are reserved/);
    expect(() => defineContract({ client: {}, server: { $presence: {} } })).toThrow(/reserved/);
    expect(() => defineContract({ client: { a: { data: { parse: () => 1 } as never } } })).toThrow(/`data` is not a Standard Schema/);
    expect(() => defineContract({ client: { a: { stream: true } } })).toThrow(/a stream needs a `reply` schema/);
    expect(() => defineContract({ client: { a: {} }, errors: { E: 'no' as never } })).toThrow(/error "E": its data schema is not a Standard Schema/);
  });
});

describe('createApp with contract gateways', () => {
  it('names the gateway and the client types that have no handler', () => {
    @Gateway('/half', { contract: pair })
    class HalfGateway {
      @OnMessage(pair, 'a') a(_s: In<typeof pair, 'a'>): void {}
    }
    expect(() => createApp({ gateways: [HalfGateway] })).toThrow(new GatewayDefinitionError('HalfGateway: no @OnMessage(contract, type) handler for "b"'));
  });

  it('refuses a handler of a type the contract lacks, a type handled twice, and a handler naming another contract', () => {
    const other = defineContract({ client: { a: { data: z.string() } } });
    @Gateway('/unknown', { contract: pair })
    class UnknownTypeGateway {
      @OnMessage(pair, 'a') a(): void {}
      @OnMessage(pair, 'b') b(): number {
        return 1;
      }
      // @ts-expect-error: 'c' is not a client type of the contract (refused at start too)
      @OnMessage(pair, 'c') c(): void {}
    }
    expect(() => createApp({ gateways: [UnknownTypeGateway] })).toThrow(/UnknownTypeGateway\.c: the contract has no client message "c"/);

    @Gateway('/twice', { contract: pair })
    class TwiceGateway {
      @OnMessage(pair, 'a') a(): void {}
      @OnMessage(pair, 'a') a2(): void {}
      @OnMessage(pair, 'b') b(): number {
        return 1;
      }
    }
    expect(() => createApp({ gateways: [TwiceGateway] })).toThrow(/TwiceGateway: "a" is handled twice \(a and a2\)/);

    @Gateway('/other', { contract: pair })
    class OtherContractGateway {
      @OnMessage(other, 'a') a(): void {}
      @OnMessage(pair, 'b') b(): number {
        return 1;
      }
    }
    expect(() => createApp({ gateways: [OtherContractGateway] })).toThrow(/OtherContractGateway\.a: @OnMessage names a different contract/);
  });

  it('refuses contract handlers without a contract on the gateway, contract options on a raw gateway, a stream handler that is not async *, and bad options', () => {
    @Gateway('/no-contract')
    class NoContractGateway {
      @OnMessage(pair, 'a') a(): void {}
    }
    expect(() => createApp({ gateways: [NoContractGateway] })).toThrow(/NoContractGateway: @OnMessage\(contract, 'a'\) needs the contract in @Gateway/);

    @Gateway('/raw', { concurrency: 2 })
    class RawWithConcurrencyGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [RawWithConcurrencyGateway] })).toThrow(/RawWithConcurrencyGateway: concurrency applies to contract gateways only/);

    const streaming = defineContract({ client: { s: { reply: z.number(), stream: true } } });
    @Gateway('/not-generator', { contract: streaming })
    class NotAGeneratorGateway {
      // @ts-expect-error: a stream handler must return an AsyncIterable (refused at start too)
      @OnMessage(streaming, 's') async s(): Promise<number> {
        return 1;
      }
    }
    expect(() => createApp({ gateways: [NotAGeneratorGateway] })).toThrow(/"s" is a stream: the handler must be an async generator/);

    @Gateway('/zero', { contract: pair, concurrency: 0 })
    class ZeroConcurrencyGateway {
      @OnMessage(pair, 'a') a(): void {}
      @OnMessage(pair, 'b') b(): number {
        return 1;
      }
    }
    expect(() => createApp({ gateways: [ZeroConcurrencyGateway] })).toThrow(/concurrency must be an integer ≥ 1, got 0/);
  });

  it('defaults maxMessageSize to 1 MiB on contract gateways (1009 beyond), and a $error from the client is logged at debug level', async () => {
    @Gateway('/sized', { contract: pair })
    class SizedGateway {
      @OnMessage(pair, 'a') a(): void {}
      @OnMessage(pair, 'b') b(n: In<typeof pair, 'b'>): number {
        return n * 2;
      }
    }
    const logger = memoryLogger();
    const { url } = await startApp([SizedGateway], { logger });
    const peer = await JsonPeer.open(url('/sized'));
    peer.send({ type: '$error', error: { code: 'CLIENT_TROUBLE', message: 'x' } });
    expect(await peer.request('b', 21, 1)).toEqual({ id: 1, data: 42 });
    await eventually(() => logger.debugs.length === 1, 'the debug line');
    expect(logger.debugs[0]).toMatch(/SizedGateway: the client sent \$error/);
    expect(logger.errors).toEqual([]);
    peer.send({ type: 'a', data: 'x'.repeat(1024 * 1024) });
    expect((await peer.closedWith()).code).toBe(1009);
  });
});
