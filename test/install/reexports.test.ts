/**
 * The DI decorators wsgate re-exports, so that an app never has to import tsyringe itself (and so
 * can never reach a second copy of it).
 */
import * as tsyringe from 'tsyringe';
import { Connection, Gateway, inject, injectable, Lifecycle, OnMessage, scoped, singleton, type DependencyContainer } from '../../src';
import { startApp } from '../helpers/app';
import { connect, nextMessage } from '../helpers/ws-client';

describe("wsgate's re-exports of tsyringe", () => {
  it('are the very functions and enum of the tsyringe wsgate resolves gateways with', () => {
    expect({ inject, injectable, Lifecycle, scoped, singleton }).toEqual({
      inject: tsyringe.inject,
      injectable: tsyringe.injectable,
      Lifecycle: tsyringe.Lifecycle,
      scoped: tsyringe.scoped,
      singleton: tsyringe.singleton,
    });
  });

  it('declare a per-connection service, a singleton and an injected token that a gateway receives', async () => {
    @singleton() class Visits { n = 0; }
    @scoped(Lifecycle.ContainerScoped) class PerConnection { static made = 0; readonly id = ++PerConnection.made; }
    @injectable() class Greeting {
      constructor(@inject('greeting') readonly text: string, readonly mine: PerConnection) {}
    }
    @Gateway('/di')
    class DiGateway {
      constructor(private readonly conn: Connection, private readonly visits: Visits, private readonly greeting: Greeting, private readonly mine: PerConnection) {}
      @OnMessage() hello() {
        return this.conn.writeMessage(`${this.greeting.text} ${++this.visits.n} ${this.greeting.mine === this.mine} ${this.mine.id}`);
      }
    }
    const container: DependencyContainer = tsyringe.container.createChildContainer();
    container.register('greeting', { useValue: 'hello' });
    const { url } = await startApp([DiGateway], { container });
    const replies: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const ws = await connect(url('/di'));
      ws.send('hi');
      replies.push((await nextMessage(ws)).data);
      ws.close();
    }
    expect(replies).toEqual(['hello 1 true 1', 'hello 2 true 2']);
  });
});
