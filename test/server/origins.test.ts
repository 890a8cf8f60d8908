/**
 * The `origins` option: an allowlist of origins checked before anything of the gateway is built,
 * `'*'` for any origin, and before `@CheckOrigin` when the gateway has both.
 */
import { CheckOrigin, createApp, Gateway, GatewayDefinitionError, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { rawRequest, upgradeHeaders } from '../helpers/http';

/** A gateway with `origins`, counting the instances built (none may be built for a refused origin). */
function allowlistGateway(origins: ReadonlyArray<string | RegExp> | '*', withHook = false) {
  const seen = { built: 0, hookCalls: [] as string[] };
  @Gateway('/listed', { origins })
  class AllowlistGateway {
    constructor() {
      seen.built++;
    }
    @OnMessage() echo(m: string): string {
      return m;
    }
  }
  @Gateway('/listed', { origins })
  class AllowlistWithHookGateway {
    constructor() {
      seen.built++;
    }
    @CheckOrigin() check(origin: string): boolean {
      seen.hookCalls.push(origin);
      return !origin.includes('blocked');
    }
    @OnMessage() echo(m: string): string {
      return m;
    }
  }
  return { gateway: withHook ? AllowlistWithHookGateway : AllowlistGateway, seen };
}

const upgrade = (port: number, origin?: string) =>
  rawRequest(port, '/listed', upgradeHeaders({ Host: 'ws.example.com', ...(origin === undefined ? {} : { Origin: origin }) })).then((a) => a.status);

describe('origins', () => {
  it('accepts the listed origins (case-insensitive) and RegExp matches; refuses the rest with 403 before any instance is built', async () => {
    const { gateway, seen } = allowlistGateway(['https://chat.example.com', /^https:\/\/[a-z]+\.example\.org$/]);
    const { port } = await startApp([gateway]);
    expect(await upgrade(port, 'https://chat.example.com')).toBe(101);
    expect(await upgrade(port, 'HTTPS://Chat.Example.com')).toBe(101);
    expect(await upgrade(port, 'https://eu.example.org')).toBe(101);
    const built = seen.built;
    expect(await upgrade(port, 'https://evil.example')).toBe(403);
    expect(await upgrade(port, 'https://chat.example.com:8443')).toBe(403);
    expect(await upgrade(port, 'https://ws.example.com')).toBe(403); // the same host is not implied by a list
    expect(seen.built).toBe(built);
  });

  it('lets requests without Origin through (not browsers), as the default rule does', async () => {
    const { gateway } = allowlistGateway(['https://chat.example.com']);
    const { port } = await startApp([gateway]);
    expect(await upgrade(port)).toBe(101);
  });

  it("'*' accepts every origin", async () => {
    const { gateway } = allowlistGateway('*');
    const { port } = await startApp([gateway]);
    expect(await upgrade(port, 'https://anywhere.example')).toBe(101);
    expect(await upgrade(port, 'null')).toBe(101);
  });

  it('runs before @CheckOrigin: a listed origin still goes to the hook, an unlisted one never reaches it', async () => {
    const { gateway, seen } = allowlistGateway(['https://chat.example.com', 'https://blocked.example.com'], true);
    const { port } = await startApp([gateway]);
    expect(await upgrade(port, 'https://chat.example.com')).toBe(101);
    expect(await upgrade(port, 'https://blocked.example.com')).toBe(403);
    expect(await upgrade(port, 'https://evil.example')).toBe(403);
    expect(seen.hookCalls).toEqual(['https://chat.example.com', 'https://blocked.example.com']);
  });

  it('an app-wide origins applies to every gateway that does not set its own', async () => {
    const { gateway } = allowlistGateway(['https://own.example']);
    @Gateway('/other')
    class NoOwnOriginsGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port } = await startApp([gateway, NoOwnOriginsGateway], { origins: ['https://app.example'] });
    const other = (origin: string) => rawRequest(port, '/other', upgradeHeaders({ Origin: origin })).then((a) => a.status);
    expect(await other('https://app.example')).toBe(101);
    expect(await other('https://own.example')).toBe(403);
    expect(await upgrade(port, 'https://own.example')).toBe(101);
    expect(await upgrade(port, 'https://app.example')).toBe(403);
  });

  it.each([
    ['a trailing slash', ['https://chat.example.com/'], /"https:\/\/chat\.example\.com\/" is not an origin.*did you mean "https:\/\/chat\.example\.com"/],
    ['a default port', ['https://chat.example.com:443'], /did you mean "https:\/\/chat\.example\.com"/],
    ['not a URL', ['chat.example.com'], /"chat\.example\.com" is not an origin/],
    ['not a list', 'https://chat.example.com', /origins must be '\*' or a list/],
  ])('refuses %s at createApp, naming the gateway', (_what, origins, message) => {
    const { gateway } = allowlistGateway(origins as ReadonlyArray<string>);
    expect(() => createApp({ gateways: [gateway] })).toThrow(GatewayDefinitionError);
    expect(() => createApp({ gateways: [gateway] })).toThrow(message);
    expect(() => createApp({ gateways: [gateway] })).toThrow(/^AllowlistGateway: /);
  });
});
