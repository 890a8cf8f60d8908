/**
 * When a gateway is built from a plan and when it is left to a tsyringe child container: every
 * case the plan cannot show equivalent must give up.
 */
import { container as rootContainer, delay, inject, injectable, injectAll, Lifecycle, scoped, singleton, type DependencyContainer } from 'tsyringe';
import { Connection } from '../../src';
import { planGateway, type Construction, type Step } from '../../src/server/scope-plan';

type Ctor = new (...args: never[]) => object;

/** The app container createApp would make from `parent`. */
function appContainer(parent: DependencyContainer = rootContainer): DependencyContainer {
  return parent.createChildContainer();
}

function plan(cls: Ctor, app = appContainer()): ReturnType<typeof planGateway> {
  return planGateway(cls as unknown as new (...args: unknown[]) => object, app);
}

/** The plan as kinds, for readable assertions. */
function kinds(c: Construction): unknown[] {
  return c.params.map((s: Step) => (s.kind === 'perConnection' || s.kind === 'transient' ? { [s.kind]: kinds(s.build) } : s.kind));
}

describe('planGateway', () => {
  const VALUE = Symbol('value');

  @singleton()
  class Shared {}

  @scoped(Lifecycle.ContainerScoped)
  class PerConnection {
    constructor(readonly conn: Connection) {}
  }

  @injectable()
  class Helper {
    constructor(readonly scoped: PerConnection) {}
  }

  it('plans Connection, values, singletons, ContainerScoped and transient classes', () => {
    @injectable()
    class Gateway {
      constructor(conn: Connection, shared: Shared, @inject(VALUE) value: string, scoped: PerConnection, helper: Helper) {
        void [conn, shared, value, scoped, helper];
      }
    }
    const app = appContainer();
    app.register(VALUE, { useValue: 'v' });
    const p = plan(Gateway, app);
    expect(p && kinds(p.gateway)).toEqual([
      'connection',
      'shared',
      'shared',
      { perConnection: ['connection'] },
      { transient: [{ perConnection: ['connection'] }] },
    ]);
    expect(p?.slots).toBe(1);
  });

  it('plans a gateway with no constructor parameters', () => {
    @injectable()
    class Bare {}
    expect(plan(Bare)?.gateway.params).toEqual([]);
  });

  const cases: [string, () => [Ctor, DependencyContainer?]][] = [
    ['a factory registration', () => {
      const app = appContainer();
      app.register(VALUE, { useFactory: () => 'v' });
      @injectable() class G { constructor(@inject(VALUE) readonly v: string) {} }
      return [G, app];
    }],
    ['a token alias', () => {
      const app = appContainer();
      app.register(VALUE, { useToken: Shared });
      @injectable() class G { constructor(@inject(VALUE) readonly v: Shared) {} }
      return [G, app];
    }],
    ['an unregistered string or symbol token', () => {
      @injectable() class G { constructor(@inject('nowhere') readonly v: string) {} }
      return [G];
    }],
    ['@injectAll', () => {
      @injectable() class G { constructor(@injectAll(Shared) readonly v: Shared[]) {} }
      return [G];
    }],
    ['optional injection', () => {
      @injectable() class G { constructor(@inject(VALUE, { isOptional: true }) readonly v?: string) {} }
      return [G];
    }],
    ['delay()', () => {
      @injectable() class G { constructor(@inject(delay(() => Shared)) readonly v: Shared) {} }
      return [G];
    }],
    ['an interface-typed parameter (design type Object)', () => {
      interface Port { send(): void }
      @injectable() class G { constructor(readonly v: Port) {} }
      return [G];
    }],
    ['a singleton that needs the connection', () => {
      @singleton() class Bad { constructor(readonly conn: Connection) {} }
      @injectable() class G { constructor(readonly v: Bad) {} }
      return [G];
    }],
    ['a singleton that needs a ContainerScoped service', () => {
      @singleton() class Bad { constructor(readonly s: PerConnection) {} }
      @injectable() class G { constructor(readonly v: Bad) {} }
      return [G];
    }],
    ['a ResolutionScoped service', () => {
      @scoped(Lifecycle.ResolutionScoped) class R {}
      @injectable() class G { constructor(readonly v: R) {} }
      return [G];
    }],
    ['a ContainerScoped registration only in an ancestor of the app container (shared by all connections)', () => {
      const app = appContainer();
      @scoped(Lifecycle.ContainerScoped) class Late {} // registered in the root after the app container was made
      @injectable() class G { constructor(readonly v: Late) {} }
      return [G, app];
    }],
    ['a registration of the gateway class itself', () => {
      const app = appContainer();
      @injectable() class G {}
      app.register(G, { useClass: G }, { lifecycle: Lifecycle.Singleton });
      return [G, app];
    }],
    ['a constructor with parameters but no recorded types', () => {
      class G { constructor(readonly v: string) {} }
      return [G];
    }],
  ];

  it.each(cases)('leaves %s to a child container', (_what, make) => {
    const [cls, app] = make();
    expect(plan(cls, app ?? appContainer())).toBeUndefined();
  });

  it('leaves a dependency cycle to a child container', () => {
    @injectable()
    class A {
      constructor(@inject('B') readonly b: unknown) {}
    }
    @injectable()
    class B {
      constructor(readonly a: A) {}
    }
    const app = appContainer();
    app.register('B', { useClass: B });
    @injectable() class G { constructor(readonly a: A) {} }
    expect(plan(G, app)).toBeUndefined();
  });
});
