/**
 * A connection's dependency-injection scope: builds its gateway instance and disposes the
 * connection's services after @OnClose. Gateways whose graph the planner understands are built from
 * a plan compiled once per gateway, with no container per connection (a tsyringe child container
 * costs about 1.5 KB per idle connection); the others get a tsyringe child container.
 * @module
 */
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { Principal } from '../auth/guard';
import type { Logger } from '../types';
import { Connection } from './connection';
import type { GatewayDefinition } from './definition';
import { planGateway, type Construction, type Plan, type Step } from './scope-plan';

/** tsyringe's test for what its `dispose()` disposes. */
function isDisposable(value: object): value is { dispose(): unknown } {
  const dispose = (value as { dispose?: unknown }).dispose;
  return typeof dispose === 'function' && dispose.length === 0;
}

function unsupported(): never {
  throw new TypeError('wsgate: a connection scope built from a plan supports dispose() only');
}

/**
 * What stands for the child container of a connection built from a plan: the instances it built
 * that have a `dispose()`, disposed in construction order, as tsyringe's child container does.
 * Only `dispose()` is used by the runtime; the rest of the container API is not available. (It
 * implements the whole interface because the handshake and the dispatcher carry a connection's scope
 * as a `DependencyContainer`; typing that as `Pick<DependencyContainer, 'dispose'>` would drop the stubs.)
 */
class PlannedScope implements DependencyContainer {
  constructor(private readonly disposables: readonly { dispose(): unknown }[]) {}

  async dispose(): Promise<void> {
    // Unlike tsyringe, one failing dispose() does not skip the others.
    const settled = this.disposables.map((d) => Promise.resolve().then(() => d.dispose()));
    await Promise.all(settled);
  }

  register(): never {
    return unsupported();
  }
  registerSingleton(): never {
    return unsupported();
  }
  registerType(): never {
    return unsupported();
  }
  registerInstance(): never {
    return unsupported();
  }
  resolve(): never {
    return unsupported();
  }
  resolveAll(): never {
    return unsupported();
  }
  isRegistered(): never {
    return unsupported();
  }
  reset(): never {
    return unsupported();
  }
  clearInstances(): never {
    return unsupported();
  }
  createChildContainer(): never {
    return unsupported();
  }
  beforeResolution(): never {
    return unsupported();
  }
  afterResolution(): never {
    return unsupported();
  }
}

/** A planned connection whose instances have no dispose(): nothing to keep per connection. */
const NOTHING_TO_DISPOSE = new PlannedScope([]);

/** What is built for one connection: per-connection services by slot, the principal, and what to dispose. */
interface Building {
  readonly conn: Connection;
  readonly shared: DependencyContainer;
  readonly perConnection: object[];
  principal: unknown;
  disposables: { dispose(): unknown }[] | undefined;
}

function build({ ctor, params }: Construction, b: Building): object {
  const args: unknown[] = new Array(params.length);
  for (let i = 0; i < params.length; i++) args[i] = argument(params[i], b);
  const instance = new ctor(...args);
  if (isDisposable(instance)) (b.disposables ??= []).push(instance);
  return instance;
}

function argument(step: Step, b: Building): unknown {
  switch (step.kind) {
    case 'connection':
      return b.conn;
    case 'principal':
      return b.principal;
    case 'shared':
      return b.shared.resolve(step.token);
    case 'perConnection':
      return (b.perConnection[step.slot] ??= build(step.build, b));
    case 'transient':
      return build(step.build, b);
  }
}

/** A gateway's plan, and the container its shared tokens are resolved from. */
interface CompiledGateway {
  readonly plan: Plan;
  /**
   * A child of the app's container made once: resolving through it, like through a connection's
   * child container, runs none of the app container's resolution interceptors.
   */
  readonly shared: DependencyContainer;
}

/** Per gateway definition (so per app), decided at its first upgrade. */
const compiled = new WeakMap<GatewayDefinition, CompiledGateway | null>();

type Ctor = new (...args: unknown[]) => object;

function compiledGateway(def: GatewayDefinition, app: DependencyContainer): CompiledGateway | null {
  let entry = compiled.get(def);
  if (entry === undefined) {
    const plan = planGateway(def.cls as unknown as Ctor, app, def.guards as unknown as readonly Ctor[]);
    entry = plan ? { plan, shared: app.createChildContainer() } : null;
    compiled.set(def, entry);
  }
  return entry;
}

/**
 * One connection's dependency-injection scope during its handshake: its guards, then (once they
 * have set the principal) its gateway instance, are built in it. `ContainerScoped` services are
 * one per connection, shared by the guards and the gateway; singletons are shared by all;
 * `Connection` and `Principal` are injectable.
 */
export interface ConnectionScope {
  /** Builds (or resolves) guard number `index` of the gateway. Throws what a constructor threw. */
  guard(index: number): object;
  /** What `Principal` resolves to for everything built from now on. */
  setPrincipal(principal: unknown): void;
  /** Builds the gateway instance. Throws what a constructor threw. */
  gateway(): object;
  /** What to dispose after @OnClose, or when the handshake is refused (services built so far). */
  disposer(): DependencyContainer;
}

/** The scope of a connection whose gateway a tsyringe child container must build. */
class ChildContainerScope implements ConnectionScope {
  constructor(
    private readonly def: GatewayDefinition,
    private readonly container: DependencyContainer,
  ) {}

  guard(index: number): object {
    return this.container.resolve(this.def.guards[index] as unknown as InjectionToken<object>);
  }
  setPrincipal(principal: unknown): void {
    this.container.register(Principal, { useValue: principal }); // the last registration wins
  }
  gateway(): object {
    return this.container.resolve(this.def.cls as unknown as InjectionToken<object>);
  }
  disposer(): DependencyContainer {
    return this.container;
  }
}

/** The scope of a connection built from its gateway's plan, without a container. */
class PlannedConnectionScope implements ConnectionScope {
  private readonly b: Building;

  constructor(
    private readonly gw: CompiledGateway,
    conn: Connection,
  ) {
    const slots = gw.plan.slots;
    this.b = { conn, shared: gw.shared, perConnection: slots ? new Array<object>(slots) : [], principal: undefined, disposables: undefined };
  }

  guard(index: number): object {
    return argument(this.gw.plan.guards[index], this.b) as object;
  }
  setPrincipal(principal: unknown): void {
    this.b.principal = principal;
  }
  gateway(): object {
    return build(this.gw.plan.gateway, this.b);
  }
  disposer(): DependencyContainer {
    const d = this.b.disposables;
    return d ? new PlannedScope(d) : NOTHING_TO_DISPOSE;
  }
}

/** The scope in which connection `conn`'s guards and gateway instance are built. */
export function openScope(def: GatewayDefinition, app: DependencyContainer, conn: Connection): ConnectionScope {
  const gateway = compiledGateway(def, app);
  if (gateway) return new PlannedConnectionScope(gateway, conn);
  const container = app.createChildContainer();
  container.register(Connection, { useValue: conn });
  container.register(Principal, { useValue: undefined });
  return new ChildContainerScope(def, container);
}

/**
 * Disposes a connection's scope; a failing `dispose()` of a user service is logged, never
 * thrown. The promise settles (never rejects) once every service's `dispose()` has.
 */
export function disposeScope(container: DependencyContainer, logger: Logger, gatewayName: string): Promise<void> {
  return Promise.resolve()
    .then(() => container.dispose())
    .catch((err: unknown) => logger.error(`wsgate: ${gatewayName}: disposing the connection's services failed:`, err));
}
