/** Everything a test opens is registered here and closed after each test (see test/after-each.ts). */
type Closer = () => unknown;
const closers: Closer[] = [];

export function onCleanup(close: Closer): void {
  closers.push(close);
}

export async function runCleanup(): Promise<void> {
  const pending = closers.splice(0).reverse();
  for (const close of pending) await close();
}
