/**
 * createApp's check that the app and wsgate share one copy of tsyringe. With two copies (a linked or
 * `file:` install of wsgate, an app pinning another 4.x), an app's `@singleton()` registers in a
 * container wsgate never reads: one "singleton" per connection, silently; and a `container` from the
 * other copy cannot build wsgate's gateways (500 on every upgrade).
 * @module
 */
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { GatewayDefinitionError } from '../errors';

interface TsyringeCopy {
  /** The copy's package directory (…/node_modules/tsyringe). */
  readonly dir: string;
  readonly container: DependencyContainer;
}

function packageDir(file: string): string {
  return /^(.*[\\/]tsyringe)[\\/]/.exec(file)?.[1] ?? file;
}

function isTsyringeIndex(exports: unknown): exports is { container: DependencyContainer } {
  const e = exports as Record<string, unknown> | null | undefined;
  const c = e?.container as Record<string, unknown> | undefined;
  return typeof e?.injectable === 'function' && typeof e.Lifecycle === 'object' && typeof c?.createChildContainer === 'function';
}

/**
 * Every copy of tsyringe this process has loaded. Node keys its module cache by real path, so each
 * copy appears once, and an ES-module `import 'tsyringe'` goes through the same cache (tsyringe is
 * CommonJS). Only copies in use count: one installed but never loaded changes nothing.
 */
function loadedCopies(): TsyringeCopy[] {
  const copies: TsyringeCopy[] = [];
  // `require` exists in the CommonJS build (the only one that serves gateways); guarded all the same.
  const cache = typeof require === 'function' ? require.cache : {};
  for (const [file, mod] of Object.entries(cache)) {
    if (!/[\\/]tsyringe[\\/]/.test(file) || !isTsyringeIndex(mod?.exports)) continue;
    const { container } = mod.exports;
    if (!copies.some((c) => c.container === container)) copies.push({ dir: packageDir(file), container });
  }
  return copies;
}

const FIX =
  'Install tsyringe once, next to wsgate (it is a peer dependency: `npm ls tsyringe` shows the copies, ' +
  'a `file:` or linked wsgate must not bring its own), or import injectable, singleton, scoped, inject ' +
  "and Lifecycle from 'wsgate'.";

/**
 * Throws `GatewayDefinitionError` naming both copies when a second tsyringe is loaded, or when the
 * `container` given to createApp belongs to another copy than wsgate's.
 */
export function assertOneTsyringe(given: DependencyContainer | undefined): void {
  const copies = loadedCopies();
  const ours = copies.find((c) => c.container === rootContainer)?.dir ?? packageDir(require.resolve('tsyringe'));
  const others = copies.filter((c) => c.container !== rootContainer);
  const ContainerClass = rootContainer.constructor as abstract new (...args: never[]) => unknown;
  // A container object of the same class name that is not an instance of wsgate's class comes from
  // another copy (one the module cache does not show, e.g. bundled); a user's own wrapper passes.
  if (given && !(given instanceof ContainerClass) && given.constructor?.name === ContainerClass.name) {
    const from = others.find((c) => given instanceof (c.container.constructor as typeof ContainerClass))?.dir ?? 'an unknown copy';
    throw new GatewayDefinitionError(
      `createApp: the \`container\` given comes from another copy of tsyringe (${from}) than the one wsgate uses (${ours}); ` +
        `wsgate could not construct any gateway from it. ${FIX}`,
    );
  }
  if (others.length > 0) {
    throw new GatewayDefinitionError(
      `createApp: two copies of tsyringe are loaded, ${others.map((c) => c.dir).join(', ')} and wsgate's ${ours}; ` +
        `@singleton(), @injectable() and @scoped() applied through the other copy are invisible to wsgate ` +
        `(a "singleton" would be built once per connection). ${FIX}`,
    );
  }
}
