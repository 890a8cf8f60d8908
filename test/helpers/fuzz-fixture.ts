/**
 * The server side of a fuzz run as a fixture: a fresh fuzz gateway for each call, with its own
 * records, so that a test needs no shared state (fuzz-run's FuzzGateway records into one map).
 */
import { Connection, Gateway, OnClose, OnMessage, OnOpen } from '../../src';
import { caseId, expectedServerCloseCode, FUZZ_MAX_MESSAGE, type FuzzReport, type ServerRecord } from './fuzz-run';

export interface FuzzFixture {
  /** Echoes on /fuzz/:id (what runFuzz connects to), with FUZZ_MAX_MESSAGE as its maxMessageSize. */
  FuzzEchoGateway: new (conn: Connection) => object;
  /** What it saw, by connection id (the `:id` path parameter). */
  records: ReadonlyMap<string, ServerRecord>;
  /** The cases of a report whose server side went wrong. */
  mismatches(report: FuzzReport): string[];
}

/**
 * A gateway on /fuzz/:id (what runFuzz connects to) that echoes, with what it saw by connection id,
 * and the cases of a report whose server side went wrong: @OnOpen or @OnClose not exactly once, or
 * the wrong closeCode.
 */
export function fuzzFixture(): FuzzFixture {
  const records = new Map<string, ServerRecord>();
  const record = (id: string): ServerRecord => {
    let r = records.get(id);
    if (!r) records.set(id, (r = { opens: 0, closes: 0, closeCode: undefined }));
    return r;
  };

  @Gateway('/fuzz/:id', { maxMessageSize: FUZZ_MAX_MESSAGE })
  class FuzzEchoGateway {
    constructor(private readonly conn: Connection) {}
    @OnOpen() open(id: string): void {
      record(id).opens++;
    }
    @OnMessage() message(m: string | Buffer): Promise<void> {
      return this.conn.writeMessage(m); // text back as text, binary as binary
    }
    @OnClose() close(): void {
      const r = record(this.conn.params.id);
      r.closes++;
      r.closeCode = this.conn.closeCode;
    }
  }

  const mismatches = (report: FuzzReport): string[] =>
    report.cases
      .filter((c) => {
        const r = records.get(caseId(c));
        return !r || r.opens !== 1 || r.closes !== 1 || r.closeCode !== expectedServerCloseCode(c.expected.end);
      })
      .map((c) => `${caseId(c)}: ${JSON.stringify(records.get(caseId(c)))}, expected closeCode ${String(expectedServerCloseCode(c.expected.end))}`);

  return { FuzzEchoGateway, records, mismatches };
}
