/**
 * Keep-alive pings (tornado's websocket_ping_interval / websocket_ping_timeout).
 * @module
 */
import type { WebSocket } from 'ws';
import { CloseCode, noop } from '../constants';

/**
 * Pings every `interval` ms; when no pong has come `timeout` ms after a ping, sends a close frame
 * 1000 "ping timed out" and cuts the socket at once (tornado ≥ 6.5 does the same).
 */
export class Heartbeat {
  private readonly ticker: NodeJS.Timeout;
  private deadline: NodeJS.Timeout | undefined;
  private readonly onPong = (): void => this.clearDeadline();

  constructor(
    private readonly ws: WebSocket,
    interval: number,
    private readonly timeout: number,
    private readonly onTimeout: () => void,
  ) {
    ws.on('pong', this.onPong);
    this.ticker = setInterval(() => this.tick(), interval).unref();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.clearDeadline();
    this.ws.off('pong', this.onPong);
  }

  private tick(): void {
    this.ws.ping(undefined, undefined, noop);
    if (this.deadline) return; // an earlier ping is still waiting for its pong
    this.deadline = setTimeout(() => this.expire(), this.timeout).unref();
  }

  private expire(): void {
    this.deadline = undefined;
    this.onTimeout();
    this.ws.close(CloseCode.normal, 'ping timed out');
    this.ws.terminate();
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}
