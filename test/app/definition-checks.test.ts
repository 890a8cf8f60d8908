import { inject, injectable } from 'tsyringe';
import type { Hub } from '../../src';
import { Connection, createApp, Gateway, GatewayDefinitionError, OnMessage } from '../../src';
import { shadows } from '../../src/server/router';
import { startApp } from '../helpers/app';
import { connect, nextMessage } from '../helpers/ws-client';

/** The error createApp throws for `gateways`, or undefined when it accepts them. */
function definitionError(...gateways: Array<new (...args: never[]) => object>): GatewayDefinitionError | undefined {
  try {
    void createApp({ gateways }).close();
    return undefined;
  } catch (err) {
    if (err instanceof GatewayDefinitionError) return err;
    throw err;
  }
}

/** Sends one message to `path` and returns the reply. */
async function ask(gateways: Array<new (...args: never[]) => object>, path: string): Promise<string> {
  const { url } = await startApp(gateways);
  const ws = await connect(url(path));
  ws.send('hi');
  return String((await nextMessage(ws)).data);
}

/**
 * Applies the decorators the way tsx, esbuild and vitest (without swc) compile them: the same
 * calls, but no `design:paramtypes`. Deleting the metadata of a class tsc compiled would not do:
 * tsyringe copies the parameter types when `@Gateway` runs, so that class would still work.
 */
function decorateWithoutMetadata<C extends new (...args: never[]) => { message(): unknown }>(cls: C, path: string, ...params: ParameterDecorator[]): C {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, 'message') as PropertyDescriptor;
  OnMessage()(cls.prototype, 'message', descriptor);
  params.forEach((decorate, i) => decorate(cls, undefined, i)); // parameter decorators run before the class's
  Gateway(path)(cls);
  return cls;
}

describe('createApp rejects constructors the container cannot satisfy', () => {
  it('rejects a constructor with parameters whose types were not recorded (no decorator metadata), naming the class', () => {
    const NoMetadataGateway = decorateWithoutMetadata(
      class NoMetadataGateway {
        constructor(readonly conn: Connection) {}
        message(): string | undefined {
          return this.conn.request.url;
        }
      },
      '/no-metadata',
    );
    expect(Reflect.getOwnMetadata('design:paramtypes', NoMetadataGateway)).toBeUndefined();
    const err = definitionError(NoMetadataGateway);
    expect(err?.message).toMatch(/^NoMetadataGateway: the constructor has 1 parameter\(s\) but their types were not recorded/);
    expect(err?.message).toMatch(/tsx, esbuild/);
    expect(err?.message).toMatch(/@inject\(token\)/);
  });

  it('accepts the same class without metadata when every parameter has @inject, and it works', async () => {
    const NoMetadataInjectedGateway = decorateWithoutMetadata(
      class NoMetadataInjectedGateway {
        constructor(readonly conn: Connection) {}
        message(): string {
          return this.conn.request.url ?? '';
        }
      },
      '/no-metadata-injected',
      inject(Connection),
    );
    expect(definitionError(NoMetadataInjectedGateway)).toBeUndefined();
    expect(await ask([NoMetadataInjectedGateway], '/no-metadata-injected')).toBe('/no-metadata-injected');
  });

  it('rejects a parameter typed with an interface (Object in the metadata) without @inject', () => {
    interface Clock {
      now(): number;
    }
    @Gateway('/interface-param')
    class InterfaceParamGateway {
      constructor(
        readonly conn: Connection,
        readonly clock: Clock,
      ) {}
      @OnMessage() message(): void {}
    }
    expect(Reflect.getOwnMetadata('design:paramtypes', InterfaceParamGateway)).toEqual([Connection, Object]);
    expect(definitionError(InterfaceParamGateway)?.message).toBe(
      'InterfaceParamGateway: constructor parameter 2 is typed as Object (an interface, a type alias, a union, or any), ' +
        'which the container cannot resolve. Add @inject(token) to that parameter, or type it with a class imported as a value',
    );
  });

  it('rejects a class imported with `import type` (Function in the metadata) and a primitive, without @inject', () => {
    @Gateway('/import-type-param')
    class ImportTypeParamGateway {
      constructor(readonly hub: Hub) {}
      @OnMessage() message(): void {}
    }
    @Gateway('/primitive-param')
    class PrimitiveParamGateway {
      constructor(readonly greeting: string) {}
      @OnMessage() message(): void {}
    }
    expect(Reflect.getOwnMetadata('design:paramtypes', ImportTypeParamGateway)).toEqual([Function]);
    expect(definitionError(ImportTypeParamGateway)?.message).toMatch(/^ImportTypeParamGateway: constructor parameter 1 is typed as Function \(a class imported with `import type`/);
    expect(definitionError(PrimitiveParamGateway)?.message).toMatch(/^PrimitiveParamGateway: constructor parameter 1 is typed as String, which the container cannot resolve/);
  });

  it('accepts interface and primitive parameters that have @inject(token), and resolves them', async () => {
    interface Greeting {
      text: string;
    }
    const GREETING = Symbol('greeting');
    const NAME = Symbol('name');
    @Gateway('/injected-interface')
    class InjectedInterfaceGateway {
      constructor(
        @inject(GREETING) readonly greeting: Greeting,
        @inject(NAME) readonly name: string,
      ) {}
      @OnMessage() message(m: string): string {
        return `${this.greeting.text} ${m} ${this.name}`;
      }
    }
    const { app, url } = await startApp([InjectedInterfaceGateway]);
    app.container.register(GREETING, { useValue: { text: 'say' } });
    app.container.register(NAME, { useValue: 'there' });
    const ws = await connect(url('/injected-interface'));
    ws.send('hi');
    expect((await nextMessage(ws)).data).toBe('say hi there');
  });

  it('rejects a gateway inheriting the constructor of an undecorated class, naming both', () => {
    class UndecoratedBase {
      constructor(readonly conn: Connection) {}
    }
    @Gateway('/inherits-undecorated')
    class InheritsUndecoratedGateway extends UndecoratedBase {
      @OnMessage() message(): string | undefined {
        return this.conn.request.url;
      }
    }
    // Neither class carries parameter types: tsyringe would call the constructor without arguments.
    expect(Reflect.getMetadata('design:paramtypes', InheritsUndecoratedGateway)).toBeUndefined();
    expect(definitionError(InheritsUndecoratedGateway)?.message).toMatch(
      /^InheritsUndecoratedGateway: inherits the constructor of UndecoratedBase, whose parameter types were not recorded .* decorate UndecoratedBase with @injectable\(\)$/,
    );
  });

  it('accepts a gateway inheriting the constructor of an @injectable() class, which then gets its services', async () => {
    @injectable()
    class InjectableBase {
      constructor(readonly conn: Connection) {}
    }
    @Gateway('/inherits-injectable')
    class InheritsInjectableGateway extends InjectableBase {
      @OnMessage() message(): string | undefined {
        return this.conn.request.url;
      }
    }
    expect(await ask([InheritsInjectableGateway], '/inherits-injectable')).toBe('/inherits-injectable');
  });

  it('rejects a gateway inheriting a constructor whose @inject tokens no tsyringe decorator applied (base not @injectable)', () => {
    const GREETING = Symbol('greeting');
    class InjectingBase {
      constructor(@inject(GREETING) readonly greeting: string) {}
    }
    @Gateway('/inherits-inject')
    class InheritsInjectGateway extends InjectingBase {
      @OnMessage() message(): string {
        return this.greeting;
      }
    }
    expect(Reflect.getOwnMetadata('design:paramtypes', InjectingBase)).toEqual([String]);
    expect(definitionError(InheritsInjectGateway)?.message).toMatch(
      /^InheritsInjectGateway: constructor \(inherited from InjectingBase\) parameter 1 is typed as String, .* The @inject on InjectingBase's constructor does not apply to InheritsInjectGateway/,
    );
  });

  it('accepts a gateway inheriting an @injectable() constructor with @inject tokens, which resolves them', async () => {
    const GREETING = Symbol('greeting');
    @injectable()
    class InjectableInjectingBase {
      constructor(@inject(GREETING) readonly greeting: string) {}
    }
    @Gateway('/inherits-injectable-inject')
    class InheritsInjectableInjectGateway extends InjectableInjectingBase {
      @OnMessage() message(): string {
        return this.greeting;
      }
    }
    const { app, url } = await startApp([InheritsInjectableInjectGateway]);
    app.container.register(GREETING, { useValue: 'hello' });
    const ws = await connect(url('/inherits-injectable-inject'));
    ws.send('hi');
    expect((await nextMessage(ws)).data).toBe('hello');
  });
});

describe('createApp rejects paths no request reaches', () => {
  it('rejects a string path without a leading /, naming the class and the fix', () => {
    @Gateway('chat/:room')
    class NoLeadingSlashGateway {
      @OnMessage() message(): void {}
    }
    expect(definitionError(NoLeadingSlashGateway)?.message).toBe(`NoLeadingSlashGateway: path "chat/:room" must start with '/' (request paths do): write '/chat/:room'`);
  });

  it('rejects a string path containing a query string', () => {
    @Gateway('/chat?room=1')
    class QueryInPathGateway {
      @OnMessage() message(): void {}
    }
    expect(definitionError(QueryInPathGateway)?.message).toMatch(/^QueryInPathGateway: path "\/chat\?room=1" contains '\?'/);
  });

  it('rejects a RegExp that must start with a letter, and accepts those that may start with /', () => {
    @Gateway(/^chat\/(\w+)$/)
    class RegExpWithoutSlashGateway {
      @OnMessage() message(): void {}
    }
    expect(definitionError(RegExpWithoutSlashGateway)?.message).toMatch(/^RegExpWithoutSlashGateway: path \/\^chat\\\/\(\\w\+\)\$\/ can never match/);
    for (const path of [/^\/chat\/(\w+)$/, /.*\/x/, /a?\/b/, /a|\/b/]) {
      @Gateway(path)
      class MayStartWithSlashGateway {
        @OnMessage() message(): void {}
      }
      expect(definitionError(MayStartWithSlashGateway)).toBeUndefined();
    }
  });
});

describe('createApp rejects a gateway shadowed by one listed before it', () => {
  it('rejects /chat/:id after /chat/:room (every path of the second goes to the first)', () => {
    @Gateway('/chat/:room')
    class RoomGateway {
      @OnMessage() message(): void {}
    }
    @Gateway('/chat/:id')
    class SameShapeGateway {
      @OnMessage() message(): void {}
    }
    expect(definitionError(RoomGateway, SameShapeGateway)?.message).toBe(
      'SameShapeGateway: path /chat/:id is never reached: every path it matches is matched first by /chat/:room of RoomGateway, ' +
        'listed before it. List the more specific gateway first, or change one of the paths',
    );
  });

  it('rejects /chat/:room after /:a/:b, and accepts them the other way round', () => {
    @Gateway('/:a/:b')
    class AnyTwoSegmentsGateway {
      @OnMessage() message(): void {}
    }
    @Gateway('/chat/:room')
    class ChatRoomGateway {
      @OnMessage() message(): void {}
    }
    expect(definitionError(AnyTwoSegmentsGateway, ChatRoomGateway)?.message).toMatch(/^ChatRoomGateway: path \/chat\/:room is never reached: .* by \/:a\/:b of AnyTwoSegmentsGateway/);
    expect(definitionError(ChatRoomGateway, AnyTwoSegmentsGateway)).toBeUndefined();
  });

  it('accepts an exact path listed after a pattern matching it (exact paths are looked up first), and routes to it', async () => {
    @Gateway('/chat/:room')
    class AnyRoomGateway {
      @OnMessage() message(): string {
        return 'any room';
      }
    }
    @Gateway(/^\/chat\/.*$/)
    class AnyChatPathGateway {
      @OnMessage() message(): string {
        return 'any chat path';
      }
    }
    @Gateway('/chat/lobby')
    class LobbyGateway {
      @OnMessage() message(): string {
        return 'lobby';
      }
    }
    expect(await ask([AnyRoomGateway, AnyChatPathGateway, LobbyGateway], '/chat/lobby')).toBe('lobby');
  });

  it('decides shadowing exactly for string patterns and leaves RegExp patterns undecided', () => {
    expect(shadows('/chat/:room', '/chat/:id')).toBe(true);
    expect(shadows('/:a/:b', '/chat/:room')).toBe(true);
    expect(shadows('/chat/:room', '/:a/:b')).toBe(false);
    expect(shadows('/chat/:room', '/chat/:room/:x')).toBe(false);
    expect(shadows('/chat/:room', '/chat/lobby')).toBe(false); // exact: looked up first
    expect(shadows('/:a/:b', '//:b')).toBe(false); // a parameter never matches an empty segment
    expect(shadows(/^\/chat\/.*$/, '/chat/:room')).toBe(false); // not decided
  });
});
