/** The JSON test/scripts/churn.ts prints, and the checks shared by the short and the long churn run. */
export interface ChurnResult {
  cycles: number;
  counts: Record<string, number>;
  total: number;
  connectionCount: number;
  constructed: number;
  injected: number;
  closed: number;
  disposed: number;
  collected: number;
  heapDeltaMiB: number;
  externalDeltaMiB: number;
  errors: string[];
}

export function expectNothingLeft(r: ChurnResult, cycles: number): void {
  expect(r.cycles).toBe(cycles);
  for (const n of Object.values(r.counts)) expect(n).toBe(cycles / 5); // the five ways to leave, evenly
  expect(r.connectionCount).toBe(0);
  expect(r.injected).toBe(r.total); // Connection and the scoped service reached every instance
  expect(r.closed).toBe(r.total); // @OnClose once per connection
  expect(r.disposed).toBe(r.total); // every per-connection container disposed
  expect(r.collected).toBe(r.total); // and every gateway instance garbage-collected
  expect(r.heapDeltaMiB).toBeLessThan(4);
  expect(r.externalDeltaMiB).toBeLessThan(4);
  expect(r.errors).toEqual([]);
}
