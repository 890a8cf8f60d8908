/**
 * Resolves once `predicate` holds, checking it every 5 ms; rejects after `timeoutMs`, naming `what`.
 * For state that no event announces (counters, server-side records); where an event exists, await it.
 * Depends on nothing, so the child-process scripts in test/scripts can use it too.
 */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
