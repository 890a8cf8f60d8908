/**
 * What the typed client needs from a WebSocket: Node's (on `websocketConnect`) and the browser's
 * (the global `WebSocket`) both fit. No imports, so the browser build can load it as it is.
 * @module
 */

/** What a transport reports about its socket. */
export interface TransportEvents {
  /** The opening handshake is done. */
  onOpen(): void;
  /**
   * A text frame (`binary` false) or a binary one (`binary` true, `text` empty). Returns true when
   * a reader of the client's buffers should get to run before the next message is delivered: a
   * transport that delivers a burst of messages in one task should then yield once.
   */
  onMessage(text: string, binary: boolean): boolean;
  /**
   * The socket ended, or could not be opened (`onOpen` never came). `code` is the close code
   * (1006 without a close frame; a refused handshake answered 401, 403 or 429 is reported as 4401,
   * 4403 or 4429 where the transport can see the status); `error` is why, when known.
   */
  onClose(code: number, reason: string, error?: Error): void;
}

/** What a transport is opened with. */
export interface TransportInit {
  /** Subprotocols to offer, `wsgate.v1` first. */
  readonly protocols: readonly string[];
  /** Extra headers of the upgrade request (Node only). */
  readonly headers: Readonly<Record<string, string>>;
  /** The bearer token from `getToken`, if any: a header in Node, a subprotocol in a browser. */
  readonly token: string | undefined;
}

/** One WebSocket connection, as the typed client uses it. */
export interface Transport {
  /** Sends a text frame; the promise (if any) settles once it is written. Ignored once closed. */
  send(text: string): Promise<void> | void;
  /** Starts the closing handshake (or abandons the connection attempt). `onClose` follows. */
  close(code?: number, reason?: string): void;
}

/** Opens a transport to `url`; it reports to `events` (also a failure to open, as `onClose`). */
export type TransportFactory = (url: string, init: TransportInit, events: TransportEvents) => Transport;
