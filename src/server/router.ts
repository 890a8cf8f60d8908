/**
 * Maps a request path to a gateway and its path parameters.
 * @module
 */

/** A compiled route: the matcher for one gateway's path. */
export interface Route<T> {
  readonly target: T;
  readonly path: string | RegExp;
  /** Parameter names for `:name` paths; for RegExp paths the group names (or indexes). */
  readonly names: readonly string[];
  readonly pattern: RegExp;
}

export interface RouteMatch<T> {
  readonly target: T;
  /** Positional arguments for `@OnOpen`, URL-decoded. */
  readonly args: readonly string[];
  /** Parameters by name (and by index for RegExp paths). */
  readonly params: Readonly<Record<string, string>>;
}

/** Thrown by `match` when a path segment is not valid percent-encoding. */
export class MalformedPathError extends Error {}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A `:name` segment of a string path. */
const isParam = (segment: string): boolean => segment.startsWith(':');

export function compileRoute<T>(path: string | RegExp, target: T): Route<T> {
  if (path instanceof RegExp) {
    const groupNames = Object.keys(new RegExp(`${path.source}|`).exec('')?.groups ?? {});
    const source = path.source.replace(/^\^/, '').replace(/\$$/, '');
    return { target, path, names: groupNames, pattern: new RegExp(`^(?:${source})$`, path.flags.replace(/[gy]/g, '')) };
  }
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!isParam(segment)) return escapeRegExp(segment);
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { target, path, names, pattern: new RegExp(`^${source}$`) };
}

/** True when two paths would register the same URLs (same string, or same RegExp source and flags). */
export function samePath(a: string | RegExp, b: string | RegExp): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.source === b.source && a.flags === b.flags;
}

/**
 * True when `earlier`, registered first, matches every request path `later` matches, so `later`
 * never receives a request. Decided exactly for string paths: a `:name` segment matches any
 * non-empty segment. Exact string paths are looked up before any pattern, so they are never
 * shadowed; whether a RegExp covers another pattern is not decided here (false).
 */
export function shadows(earlier: string | RegExp, later: string | RegExp): boolean {
  if (typeof earlier !== 'string' || typeof later !== 'string') return false;
  const a = earlier.split('/');
  const b = later.split('/');
  if (!a.some(isParam) || !b.some(isParam) || a.length !== b.length) return false;
  return a.every((segment, i) => (isParam(segment) ? b[i] !== '' : segment === b[i]));
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MalformedPathError(`malformed percent-encoding in path segment "${raw}"`);
  }
}

// Shared by every connection to a path without parameters (kept by each Connection, so not copied).
const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Routes by pathname: exact string paths through a Map, then patterns in registration order.
 */
export class Router<T> {
  private readonly exact = new Map<string, Route<T>>();
  private readonly patterns: Route<T>[] = [];

  add(route: Route<T>): void {
    if (typeof route.path === 'string' && route.names.length === 0) this.exact.set(route.path, route);
    else this.patterns.push(route);
  }

  /** The gateway for `url` (path and query), or undefined when none matches. */
  match(url: string): RouteMatch<T> | undefined {
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const exact = this.exact.get(pathname);
    if (exact) return { target: exact.target, args: NO_ARGS, params: NO_PARAMS };
    for (const route of this.patterns) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      const args = m.slice(1).map((v) => (v === undefined ? '' : decode(v)));
      const params: Record<string, string> = {};
      if (route.path instanceof RegExp) {
        args.forEach((v, i) => (params[String(i)] = v));
        for (const [name, v] of Object.entries(m.groups ?? {})) params[name] = v === undefined ? '' : decode(v);
      } else {
        route.names.forEach((name, i) => (params[name] = args[i]));
      }
      return { target: route.target, args, params };
    }
    return undefined;
  }
}
