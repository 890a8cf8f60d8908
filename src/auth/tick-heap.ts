/**
 * A binary min-heap of numbers: the expiry wheel's ordered set of deadline ticks. O(log n) push
 * and pop, O(1) peek. No imports.
 * @module
 */

export class TickHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The smallest value, or `undefined` when empty. */
  peek(): number | undefined {
    return this.items[0];
  }

  push(value: number): void {
    const a = this.items;
    let i = a.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= value) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = value;
  }

  /** Removes and returns the smallest value. */
  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) this.siftDown(0, last);
    return top;
  }

  /** Replaces the content with `values` (any order), in O(n). */
  rebuild(values: Iterable<number>): void {
    this.items = [...values];
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i, this.items[i]);
  }

  clear(): void {
    this.items = [];
  }

  private siftDown(start: number, value: number): void {
    const a = this.items;
    const n = a.length;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && a[child + 1] < a[child]) child++;
      if (a[child] >= value) break;
      a[i] = a[child];
      i = child;
    }
    a[i] = value;
  }
}
