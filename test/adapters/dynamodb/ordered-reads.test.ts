import { describe, expect, it } from 'vitest';
import { readInOrder, type KeyRange } from '../../../shared/adapters/dynamodb/ordered-reads.js';

/** A range of `pages` pages, recording when each page is asked for and gated until released. */
function gatedRange(name: string, pages: number, log: string[]) {
  const gates = new Map<number, () => void>();
  const range: KeyRange<string> = {
    fetch: async (startKey) => {
      const page = (startKey?.page as number | undefined) ?? 0;
      log.push(`${name}${page}`);
      await new Promise<void>((resolve) => gates.set(page, resolve));
      return {
        items: [`${name}${page}a`, `${name}${page}b`],
        ...(page + 1 < pages ? { next: { page: page + 1 } } : {}),
      };
    },
  };
  const release = (page: number) => gates.get(page)?.();
  return { range, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('reading key ranges in order, several at once', () => {
  it('yields every range in order, each range’s pages in order', async () => {
    const ranges = [3, 1, 2].map((pages, i) => ({
      fetch: async (startKey: Record<string, unknown> | undefined) => {
        const page = (startKey?.page as number | undefined) ?? 0;
        // Later ranges answer first: order must still be by range.
        await new Promise((resolve) => setTimeout(resolve, (3 - i) * 5));
        return { items: [`r${i}p${page}`], ...(page + 1 < pages ? { next: { page: page + 1 } } : {}) };
      },
    }));
    for (const pipeline of [false, true]) {
      const got: string[] = [];
      for await (const item of readInOrder(ranges, { window: 3, pipeline })) got.push(item);
      expect(got).toEqual(['r0p0', 'r0p1', 'r0p2', 'r1p0', 'r2p0', 'r2p1']);
    }
  });

  it('has at most `window` ranges in flight, and asks for a next page only when told to pipeline', async () => {
    const log: string[] = [];
    const a = gatedRange('a', 2, log);
    const b = gatedRange('b', 1, log);
    const c = gatedRange('c', 1, log);
    const reader = readInOrder([a.range, b.range, c.range], { window: 2, pipeline: false });
    const first = reader.next();
    await settle();
    expect(log).toEqual(['a0', 'b0']);
    a.release(0);
    expect((await first).value).toBe('a0a');
    await settle();
    // Not pipelined: a's second page waits until its first is taken.
    expect(log).toEqual(['a0', 'b0']);
    expect((await reader.next()).value).toBe('a0b');
    const third = reader.next();
    await settle();
    expect(log).toEqual(['a0', 'b0', 'a1']);
    a.release(1);
    expect((await third).value).toBe('a1a');

    const piped: string[] = [];
    const p = gatedRange('p', 3, piped);
    const pipelined = readInOrder([p.range], { window: 1, pipeline: true });
    const one = pipelined.next();
    await settle();
    p.release(0);
    expect((await one).value).toBe('p0a');
    expect(piped).toEqual(['p0', 'p1']);
  });

  it('throws a failed fetch where its items would be, and leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failing = { fetch: () => Promise.reject(new Error('throttled')) };
      const ok = { fetch: () => Promise.resolve({ items: ['x'] }) };
      // The failing range is ahead of the reader, which stops before reaching it.
      for await (const item of readInOrder([ok, failing], { window: 2, pipeline: true })) {
        expect(item).toBe('x');
        break;
      }
      const got: string[] = [];
      await expect(
        (async () => {
          for await (const item of readInOrder([ok, failing], { window: 2, pipeline: false })) got.push(item);
        })(),
      ).rejects.toThrow('throttled');
      expect(got).toEqual(['x']);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
