/**
 * createApp-time checks of what the decorators recorded, for mistakes that would otherwise pass
 * and then fail every connection (HTTP 500, or `undefined` services) or never be reached.
 * @module
 */
import { GatewayDefinitionError } from '../errors';
import type { GatewayClass, GatewayDefinition } from '../server/definition';
import { shadows } from '../server/router';

/** Where tsyringe keeps `@inject(token)` (and `@injectAll`, …) tokens: a record from parameter index to token. */
const INJECTION_TOKENS = 'injectionTokens';
const PARAM_TYPES = 'design:paramtypes';

/**
 * What TypeScript emits for parameter types that do not exist at run time, and why. tsyringe
 * cannot construct any of them, so a parameter of such a type needs `@inject(token)`.
 */
const UNRESOLVABLE = new Map<unknown, string>([
  [undefined, 'a type with no run-time value (void, undefined, or a class not yet defined: a circular import)'],
  [Object, 'Object (an interface, a type alias, a union, or any)'],
  [Function, 'Function (a class imported with `import type`, or a function type)'],
  [String, 'String'],
  [Number, 'Number'],
  [Boolean, 'Boolean'],
  [Symbol, 'Symbol'],
  [BigInt, 'BigInt'],
  [Array, 'Array'],
  [Promise, 'Promise'],
]);

type Tokens = Readonly<Record<number, unknown>>;

function ancestorsOf(cls: GatewayClass): object[] {
  const chain: object[] = [];
  for (let c = Object.getPrototypeOf(cls) as object | null; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as object | null) {
    chain.push(c);
  }
  return chain;
}

function className(c: object): string {
  return (c as { name?: string }).name || '(anonymous class)';
}

/**
 * The parameter types tsyringe will resolve for `cls`, as tsyringe's `injectable()` computes them:
 * `design:paramtypes` looked up through the prototype chain, overridden by the class's *own* tokens.
 * Throws when that list does not describe the constructor that will run.
 */
function constructorParams(name: string, cls: GatewayClass, tokens: Tokens): { types: readonly unknown[]; from: object } {
  const own = Reflect.getOwnMetadata(PARAM_TYPES, cls) as unknown[] | undefined;
  if (own) return { types: own, from: cls };
  if (cls.length > 0) {
    const missing = Array.from({ length: cls.length }, (_, i) => i).filter((i) => tokens[i] === undefined);
    if (missing.length === 0) return { types: [], from: cls };
    throw new GatewayDefinitionError(
      `${name}: the constructor has ${cls.length} parameter(s) but their types were not recorded (no design:paramtypes): ` +
        'the file was compiled without decorator metadata (tsx, esbuild, vitest without swc, or "emitDecoratorMetadata" off). ' +
        'Compile it with tsc, ts-jest or swc with decorator metadata, or give each parameter @inject(token)',
    );
  }
  // No own constructor parameters: the class inherits its constructor (a class compiled with
  // metadata records even an empty own constructor). The first ancestor that takes parameters must
  // have recorded them, or tsyringe calls the constructor with none.
  for (const base of ancestorsOf(cls)) {
    const types = Reflect.getOwnMetadata(PARAM_TYPES, base) as unknown[] | undefined;
    if (types) return { types, from: base };
    if ((base as GatewayClass).length > 0) {
      throw new GatewayDefinitionError(
        `${name}: inherits the constructor of ${className(base)}, whose parameter types were not recorded ` +
          `(${className(base)} has no decorator), so it would receive undefined for each of them. ` +
          `Give ${name} its own constructor declaring the parameters and passing them to super(), or decorate ${className(base)} with @injectable()`,
      );
    }
  }
  return { types: [], from: cls };
}

/**
 * Rejects a gateway whose constructor tsyringe cannot satisfy: parameter types not recorded
 * (decorator metadata not emitted), a constructor inherited from an undecorated class, or a
 * parameter typed as something with no run-time class (interface, `import type`, primitive)
 * without `@inject(token)`.
 */
function checkConstructor(name: string, cls: GatewayClass): void {
  const tokens = (Reflect.getOwnMetadata(INJECTION_TOKENS, cls) ?? {}) as Tokens;
  const { types, from } = constructorParams(name, cls, tokens);
  for (let i = 0; i < types.length; i++) {
    const problem = UNRESOLVABLE.get(types[i]);
    if (tokens[i] !== undefined || problem === undefined) continue;
    // tsyringe reads the @inject tokens of the class it resolves; a base class's tokens count only
    // once a tsyringe decorator on the base (@injectable() …) has written them into its parameter types.
    const inheritedToken = from !== cls && (Reflect.getOwnMetadata(INJECTION_TOKENS, from) as Tokens | undefined)?.[i] !== undefined;
    const where = from === cls ? 'constructor' : `constructor (inherited from ${className(from)})`;
    throw new GatewayDefinitionError(
      `${name}: ${where} parameter ${i + 1} is typed as ${problem}, which the container cannot resolve. ` +
        (inheritedToken
          ? `The @inject on ${className(from)}'s constructor does not apply to ${name}: decorate ${className(from)} with @injectable(), or give ${name} its own constructor with @inject(token) on that parameter`
          : 'Add @inject(token) to that parameter, or type it with a class imported as a value'),
    );
  }
}

/** Rejects a path no request can match: a string not starting with `/`, or a RegExp that must start with another character. */
function checkPath(name: string, path: string | RegExp): void {
  if (typeof path === 'string') {
    if (!path.startsWith('/')) {
      throw new GatewayDefinitionError(`${name}: path ${JSON.stringify(path)} must start with '/' (request paths do): write '/${path}'`);
    }
    if (path.includes('?')) {
      throw new GatewayDefinitionError(`${name}: path ${JSON.stringify(path)} contains '?': the query string is not part of the path matched`);
    }
    return;
  }
  // Decided only where it is certain: no alternation, and a first character that is a letter or
  // digit (never '/', whatever the flags) and not made optional by a quantifier.
  const source = path.source.replace(/^\^/, '');
  if (!source.includes('|') && /^[A-Za-z0-9_-](?![?*{])/.test(source)) {
    throw new GatewayDefinitionError(`${name}: path ${String(path)} can never match: request paths start with '/' (write it as /^\\/${source}/)`);
  }
}

/** The class-level checks, for one gateway (before any server exists). */
export function checkGatewayClass(name: string, cls: GatewayClass, path: string | RegExp): void {
  checkPath(name, path);
  checkConstructor(name, cls);
}

/** Rejects a gateway whose every path is matched first by a gateway listed before it. */
export function checkNotShadowed(def: Pick<GatewayDefinition, 'name' | 'path'>, earlier: ReadonlyArray<Pick<GatewayDefinition, 'name' | 'path'>>): void {
  const by = earlier.find((e) => shadows(e.path, def.path));
  if (by) {
    throw new GatewayDefinitionError(
      `${def.name}: path ${String(def.path)} is never reached: every path it matches is matched first by ${String(by.path)} ` +
        `of ${by.name}, listed before it. List the more specific gateway first, or change one of the paths`,
    );
  }
}
