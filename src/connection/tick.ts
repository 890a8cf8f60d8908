/**
 * Which tick of the event loop this is: a counter advanced by one `process.nextTick` per tick in
 * which someone asked. Lets a connection tell its first frame of a tick (written at once, as raw ws
 * does) from the ones after it (corked and written together), with no timer per connection.
 * @module
 */
let tick = 0;
let advancePending = false;

function advance(): void {
  tick++;
  advancePending = false;
}

/** The current tick's number; stays the same until the pending nextTick callbacks have run. */
export function currentTick(): number {
  if (!advancePending) {
    advancePending = true;
    process.nextTick(advance);
  }
  return tick;
}
