import { compileRoute, MalformedPathError, Router, samePath } from '../../src/server/router';

function routerOf(...paths: Array<string | RegExp>): Router<string> {
  const router = new Router<string>();
  for (const p of paths) router.add(compileRoute(p, String(p)));
  return router;
}

describe('router', () => {
  it('matches exact paths and ignores the query string', () => {
    const r = routerOf('/websocket');
    expect(r.match('/websocket?token=1')).toEqual({ target: '/websocket', args: [], params: {} });
    expect(r.match('/websocket/')).toBeUndefined();
    expect(r.match('/other')).toBeUndefined();
  });

  it('decodes :name segments into args and params', () => {
    const r = routerOf('/params/:a/:b');
    expect(r.match('/params/a%20b/2')).toEqual({ target: '/params/:a/:b', args: ['a b', '2'], params: { a: 'a b', b: '2' } });
    expect(r.match('/params/only-one')).toBeUndefined();
  });

  it('passes RegExp capture groups as args, params by index and by group name', () => {
    const r = routerOf(/^\/items\/(\d+)\/(?<kind>[a-z]+)$/);
    const m = r.match('/items/42/book');
    expect(m?.args).toEqual(['42', 'book']);
    expect(m?.params).toEqual({ 0: '42', 1: 'book', kind: 'book' });
    expect(r.match('/items/x/book')).toBeUndefined();
  });

  it('anchors RegExp paths so they match whole paths only', () => {
    const r = routerOf(/\/a/);
    expect(r.match('/a')).toBeDefined();
    expect(r.match('/a/b')).toBeUndefined();
  });

  it('prefers exact paths over patterns, then registration order', () => {
    const r = routerOf('/chat/:room', '/chat/lobby');
    expect(r.match('/chat/lobby')?.target).toBe('/chat/lobby');
    expect(r.match('/chat/x')?.target).toBe('/chat/:room');
  });

  it('reports malformed percent-encoding', () => {
    expect(() => routerOf('/p/:x').match('/p/%E0%A4%A')).toThrow(MalformedPathError);
  });

  it('compares paths for duplicates', () => {
    expect(samePath('/a', '/a')).toBe(true);
    expect(samePath(/a/i, /a/i)).toBe(true);
    expect(samePath(/a/i, /a/)).toBe(false);
    expect(samePath('/a', /\/a/)).toBe(false);
  });
});
