/**
 * The default origin rule compares the Origin's host[:port] as written with the Host header (as
 * tornado does, default ports included), and subprotocol offers and answers are read as tornado
 * reads them: empty list elements are ignored, and '' from @Subprotocol selects none.
 */
import { Gateway, OnMessage, Subprotocol } from '../../src';
import { startApp } from '../helpers/app';
import { rawRequest, upgradeHeaders } from '../helpers/http';

/** An echo gateway on /plain (fresh for each call). */
function echoGateway() {
  @Gateway('/plain')
  class EchoGateway {
    @OnMessage() echo(m: string): string {
      return m;
    }
  }
  return EchoGateway;
}

/** A gateway (fresh for each call) whose @Subprotocol selects the first offer, with the offers it saw. */
function firstOfferFixture() {
  const offers: string[][] = [];
  @Gateway('/first')
  class FirstOfferGateway {
    @Subprotocol() select(offered: string[]): string | null {
      offers.push(offered);
      return offered[0] ?? null;
    }
    @OnMessage() echo(m: string): string {
      return m;
    }
  }
  return { FirstOfferGateway, offers };
}

describe('default origin rule', () => {
  it.each([
    ['example.com:80', 'https://example.com'],
    ['example.com:443', 'http://example.com'],
    ['example.com:80', 'http://example.com'],
    ['example.com', 'http://example.com:80'],
    ['example.com', 'null'],
  ])('refuses Host %s with Origin %s (403), as tornado does', async (host, origin) => {
    const { port } = await startApp([echoGateway()]);
    expect((await rawRequest(port, '/plain', upgradeHeaders({ Host: host, Origin: origin }))).status).toBe(403);
  });

  it.each([
    ['example.com:80', 'http://example.com:80'],
    ['Example.COM:8080', 'https://EXAMPLE.com:8080'],
    ['example.com', 'https://example.com/'],
  ])('accepts Host %s with Origin %s (101)', async (host, origin) => {
    const { port } = await startApp([echoGateway()]);
    expect((await rawRequest(port, '/plain', upgradeHeaders({ Host: host, Origin: origin }))).status).toBe(101);
  });
});

describe('subprotocols read as tornado reads them', () => {
  it("selects none when @Subprotocol returns '' (101 without Sec-WebSocket-Protocol)", async () => {
    const offers: string[][] = [];
    @Gateway('/none-selected')
    class EmptyAnswerGateway {
      @Subprotocol() select(offered: string[]): string {
        offers.push(offered);
        return '';
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port, logger } = await startApp([EmptyAnswerGateway]);
    const answer = await rawRequest(port, '/none-selected', upgradeHeaders({ 'Sec-WebSocket-Protocol': 'chat' }));
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
    expect(offers).toEqual([['chat']]);
    expect(logger.errors).toEqual([]);
  });

  it('answers 101 with none selected to an offer made only of empty elements, and @Subprotocol sees []', async () => {
    const { FirstOfferGateway, offers } = firstOfferFixture();
    const { port } = await startApp([FirstOfferGateway, echoGateway()]);
    const answer = await rawRequest(port, '/first', upgradeHeaders({ 'Sec-WebSocket-Protocol': ',,,' }));
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
    expect(offers).toEqual([[]]);
    expect((await rawRequest(port, '/plain', upgradeHeaders({ 'Sec-WebSocket-Protocol': ' , ,' }))).status).toBe(101);
  });

  it('ignores empty elements between offers and selects from the rest', async () => {
    const { FirstOfferGateway, offers } = firstOfferFixture();
    const { port } = await startApp([FirstOfferGateway]);
    const answer = await rawRequest(port, '/first', upgradeHeaders({ 'Sec-WebSocket-Protocol': ',chat,, superchat' }));
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBe('chat');
    expect(offers).toEqual([['chat', 'superchat']]);
  });
});
