/**
 * Reads a gateway's dependency graph once and, when it can show that building the gateway by hand
 * gives what resolving it from a per-connection tsyringe child container gives, compiles it into a
 * plan that needs no container per connection. Anything it cannot show returns `undefined`, and the
 * connection gets a child container as before.
 * @module
 */
import { Lifecycle, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { Principal } from '../auth/guard';
import { Connection } from './connection';

type Ctor = new (...args: unknown[]) => object;

/** How one constructor argument is obtained for a connection. */
export type Step =
  | { readonly kind: 'connection' }
  /** The `Principal` token: what the guards set so far. */
  | { readonly kind: 'principal' }
  /** A value registration or a singleton: resolved from the app's container on every connection. */
  | { readonly kind: 'shared'; readonly token: InjectionToken<unknown> }
  /** `Lifecycle.ContainerScoped`: built once per connection, kept in `slot` while the gateway is built. */
  | { readonly kind: 'perConnection'; readonly slot: number; readonly build: Construction }
  | { readonly kind: 'transient'; readonly build: Construction };

export interface Construction {
  readonly ctor: Ctor;
  readonly params: readonly Step[];
}

export interface Plan {
  readonly gateway: Construction;
  /** The gateway's guards, in order: resolved from the same per-connection scope as the gateway. */
  readonly guards: readonly Step[];
  /** How many per-connection services the graph of the gateway and its guards has. */
  readonly slots: number;
}

/**
 * The part of tsyringe's container that is not in its typings: the registration `resolve` would
 * use (the last one for the token, looked up through the parents). Checked before use.
 */
interface Registration {
  readonly provider: { readonly useValue?: unknown; readonly useClass?: unknown; readonly useFactory?: unknown; readonly useToken?: unknown };
  readonly options: { readonly lifecycle: Lifecycle };
}
interface ContainerInternals {
  getRegistration(token: InjectionToken<unknown>): Registration | null;
}

interface MetadataReader {
  getMetadata(key: string, target: object): unknown;
  getOwnMetadata(key: string, target: object): unknown;
}

/** Thrown inside the planner only: the graph holds something it does not handle. */
const GIVE_UP = Symbol('give up');

/** Constructor parameters the way tsyringe's @injectable records them: design types, overridden by @inject tokens. */
function paramInfo(ctor: Ctor, reflect: MetadataReader): unknown[] {
  const types = reflect.getMetadata('design:paramtypes', ctor);
  const params = Array.isArray(types) ? [...(types as unknown[])] : [];
  const tokens = (reflect.getOwnMetadata('injectionTokens', ctor) ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(tokens)) params[Number(key)] = tokens[key];
  return params;
}

/**
 * What `@inject(token)` records is `{ token, multiple: false, isOptional }`: the token itself for
 * a required single value. @injectAll, transforms and optional injection stay as recorded (and are
 * not planned).
 */
function injectedToken(param: unknown): unknown {
  if (typeof param !== 'object' || param === null || 'transform' in param) return param;
  const d = param as { token?: unknown; multiple?: unknown; isOptional?: unknown };
  return 'token' in d && d.multiple === false && !d.isOptional ? d.token : param;
}

function isToken(value: unknown): value is InjectionToken<unknown> {
  return typeof value === 'function' || typeof value === 'string' || typeof value === 'symbol';
}

class Planner {
  private readonly slots = new Map<InjectionToken<unknown>, number>();
  /** Constructors being planned (a cycle gives up: tsyringe would fail or need delay()). */
  private readonly visiting = new Set<Ctor>();

  constructor(
    private readonly app: DependencyContainer,
    private readonly internals: ContainerInternals,
    private readonly reflect: MetadataReader,
  ) {}

  plan(cls: Ctor, guards: readonly Ctor[]): Plan {
    // A registration for the gateway class itself (a replacement, a lifecycle) is tsyringe's business.
    if (this.app.isRegistered(cls, true)) throw GIVE_UP;
    // Guards first: they are built first, and per-connection slots are shared with the gateway.
    const guardSteps = guards.map((g) => this.step(g, false));
    return { gateway: this.construction(cls, false), guards: guardSteps, slots: this.slots.size };
  }

  /**
   * `shared`: we are inside a singleton's graph, which the app's container builds at most once:
   * nothing in it may depend on the connection.
   */
  private construction(ctor: Ctor, shared: boolean): Construction {
    if (this.visiting.has(ctor)) throw GIVE_UP;
    const params = paramInfo(ctor, this.reflect);
    // tsyringe: no recorded parameters but a constructor that takes some fails; leave that error to it.
    if (params.length === 0 && ctor.length > 0) throw GIVE_UP;
    this.visiting.add(ctor);
    const steps = params.map((p) => this.step(p, shared));
    this.visiting.delete(ctor);
    return { ctor, params: steps };
  }

  private step(recorded: unknown, shared: boolean): Step {
    const param = injectedToken(recorded);
    if (param === Connection) {
      if (shared) throw GIVE_UP;
      return { kind: 'connection' };
    }
    if (param === Principal) {
      if (shared) throw GIVE_UP;
      return { kind: 'principal' };
    }
    // @injectAll, transforms, delay() and missing design types are left to tsyringe.
    if (!isToken(param)) throw GIVE_UP;
    const registration = this.internals.getRegistration(param);
    if (!registration) {
      if (typeof param !== 'function') throw GIVE_UP; // tsyringe: unregistered token
      return { kind: 'transient', build: this.construction(param as Ctor, shared) };
    }
    const { provider, options } = registration;
    if ('useValue' in provider) return { kind: 'shared', token: param };
    // Factories receive the container, token providers alias: not followed.
    if (provider.useFactory !== undefined || provider.useToken !== undefined || typeof provider.useClass !== 'function') throw GIVE_UP;
    const ctor = provider.useClass as Ctor;
    switch (options.lifecycle) {
      case Lifecycle.Singleton:
        this.construction(ctor, true); // only to check its graph: it is resolved, not built, per connection
        return { kind: 'shared', token: param };
      case Lifecycle.Transient:
        return { kind: 'transient', build: this.construction(ctor, shared) };
      case Lifecycle.ContainerScoped: {
        // Only a registration in the app container's own registry is copied into each child
        // container (one instance per connection); one found in an ancestor is shared by all.
        if (shared || !this.app.isRegistered(param, false)) throw GIVE_UP;
        const slot = this.slots.get(param) ?? this.slots.size;
        this.slots.set(param, slot);
        return { kind: 'perConnection', slot, build: this.construction(ctor, false) };
      }
      default:
        throw GIVE_UP; // ResolutionScoped
    }
  }
}

/**
 * The construction plan of gateway `cls` resolved from `app`, or `undefined` when only a child
 * container gives the right result: any token, provider or lifecycle it does not know, a singleton
 * whose graph needs the connection or a per-connection service, a cycle, or a tsyringe whose
 * internals do not look as expected.
 */
export function planGateway(cls: Ctor, app: DependencyContainer, guards: readonly Ctor[] = []): Plan | undefined {
  const internals = app as unknown as Partial<ContainerInternals>;
  const reflect = Reflect as unknown as Partial<MetadataReader>;
  if (typeof internals.getRegistration !== 'function') return undefined;
  if (typeof reflect.getMetadata !== 'function' || typeof reflect.getOwnMetadata !== 'function') return undefined;
  try {
    return new Planner(app, internals as ContainerInternals, reflect as MetadataReader).plan(cls, guards);
  } catch {
    // GIVE_UP, or internals shaped otherwise than expected: the child container is always right.
    return undefined;
  }
}
