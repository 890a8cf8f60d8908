import {
  CheckOrigin,
  Connection,
  createApp,
  Gateway,
  GatewayDefinitionError,
  OnClose,
  OnMessage,
  OnOpen,
  OnPing,
  OnPong,
  Subprotocol,
} from '../../src';
import { collectHooks, getOwnGatewayMetadata } from '../../src/decorators/metadata';

describe('decorator metadata', () => {
  it('records the path, options and one method per hook on the class', () => {
    @Gateway('/all', { maxMessageSize: 1024 })
    class AllHooksGateway {
      @OnOpen() open(): void {}
      @OnMessage() message(): void {}
      @OnClose() closed(): void {}
      @CheckOrigin() origin(): boolean {
        return true;
      }
      @Subprotocol() protocol(): null {
        return null;
      }
      @OnPing() ping(): void {}
      @OnPong() pong(): void {}
    }
    const meta = getOwnGatewayMetadata(AllHooksGateway);
    expect(meta?.path).toBe('/all');
    expect(meta?.options).toEqual({ maxMessageSize: 1024 });
    expect(meta?.hooks).toEqual({
      open: 'open',
      message: 'message',
      close: 'closed',
      checkOrigin: 'origin',
      subprotocol: 'protocol',
      ping: 'ping',
      pong: 'pong',
    });
  });

  it('inherits hooks from a base class, the subclass overriding', () => {
    class BaseGateway {
      @OnOpen() open(): void {}
      @OnMessage() message(): void {}
    }
    @Gateway('/derived')
    class DerivedGateway extends BaseGateway {
      @OnMessage() other(): void {}
    }
    expect(collectHooks(DerivedGateway)).toEqual({ open: 'open', message: 'other' });
    expect(getOwnGatewayMetadata(BaseGateway)?.path).toBeUndefined();
    expect(() => createApp({ gateways: [DerivedGateway] })).not.toThrow();
  });

  it('makes the gateway injectable with its constructor parameter types', () => {
    @Gateway('/inject')
    class InjectedGateway {
      constructor(readonly conn: Connection) {}
      @OnMessage() message(): void {}
    }
    expect(Reflect.getMetadata('design:paramtypes', InjectedGateway)).toEqual([Connection]);
  });
});

describe('createApp validation names the class', () => {
  it('rejects a class without @Gateway', () => {
    class PlainClass {
      @OnMessage() message(): void {}
    }
    expect(() => createApp({ gateways: [PlainClass] })).toThrow(new GatewayDefinitionError('PlainClass: not decorated with @Gateway(path)'));
  });

  it('rejects a gateway without @OnMessage', () => {
    @Gateway('/silent')
    class SilentGateway {
      @OnOpen() open(): void {}
    }
    expect(() => createApp({ gateways: [SilentGateway] })).toThrow('SilentGateway: no @OnMessage method');
  });

  it('rejects two methods for one hook', () => {
    @Gateway('/twice')
    class TwiceGateway {
      @OnMessage() a(): void {}
      @OnMessage() b(): void {}
    }
    expect(() => createApp({ gateways: [TwiceGateway] })).toThrow('TwiceGateway: @OnMessage is on two methods (a and b)');
  });

  it('rejects two gateways on the same path, naming both', () => {
    @Gateway('/same')
    class FirstGateway {
      @OnMessage() m(): void {}
    }
    @Gateway('/same')
    class SecondGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [FirstGateway, SecondGateway] })).toThrow('SecondGateway: path /same is already served by FirstGateway');
    @Gateway(/^\/re$/)
    class RegexOne {
      @OnMessage() m(): void {}
    }
    @Gateway(/^\/re$/)
    class RegexTwo {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [RegexOne, RegexTwo] })).toThrow(/RegexTwo: path .* already served by RegexOne/);
  });

  it('rejects an empty gateway list and invalid options', () => {
    expect(() => createApp({ gateways: [] })).toThrow(GatewayDefinitionError);
    @Gateway('/opts', { maxMessageSize: -1 })
    class BadOptionsGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [BadOptionsGateway] })).toThrow('BadOptionsGateway: maxMessageSize must be a positive number, got -1');
    @Gateway('/ok')
    class OkGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [OkGateway], maxQueuedMessages: 0 })).toThrow('createApp: maxQueuedMessages must be a positive number, got 0');
  });
});
