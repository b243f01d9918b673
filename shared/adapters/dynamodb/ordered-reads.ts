/** One page of a key range: its items and where the next page starts (none at the end). */
export interface RangePage<T> {
  readonly items: readonly T[];
  readonly next?: Record<string, unknown>;
}

/** A key range read page by page, from `startKey` (or its beginning). */
export interface KeyRange<T> {
  readonly startKey?: Record<string, unknown>;
  readonly fetch: (startKey: Record<string, unknown> | undefined) => Promise<RangePage<T>>;
}

export interface ReadAheadOptions {
  /** How many ranges have their first page in flight at once (the one being read included). */
  readonly window: number;
  /**
   * Whether the range being read fetches its next page as soon as a page arrives, so the
   * reader's work on one page overlaps the store's on the next. For readers that take every
   * item (streams); a reader that stops at a page limit would read a page it never uses.
   */
  readonly pipeline: boolean;
}

/**
 * Yields the items of `ranges` in range order (and each range's pages in order) while up to
 * `window` ranges are fetched at once. At most `window` pages are ahead of the reader (plus one
 * for a pipelined range), so memory stays bounded on any number of ranges. A fetch that fails
 * throws where its items would have been yielded; a fetch still in flight when the reader stops
 * is left to finish (every AWS call has a deadline) and its result dropped.
 */
export async function* readInOrder<T>(
  ranges: readonly KeyRange<T>[],
  options: ReadAheadOptions,
): AsyncGenerator<T> {
  const window = Math.max(1, options.window);
  const firstPages: (Promise<RangePage<T>> | undefined)[] = ranges.map(() => undefined);
  const start = (index: number) => {
    const range = ranges[index];
    if (range !== undefined && firstPages[index] === undefined)
      firstPages[index] = observed(range.fetch(range.startKey));
  };
  for (let index = 0; index < ranges.length; index++) {
    for (let ahead = index; ahead < Math.min(ranges.length, index + window); ahead++) start(ahead);
    const range = ranges[index] as KeyRange<T>;
    let pending: Promise<RangePage<T>> | undefined = firstPages[index];
    firstPages[index] = undefined;
    while (pending) {
      const page: RangePage<T> = await pending;
      const next = page.next;
      pending = next && options.pipeline ? observed(range.fetch(next)) : undefined;
      yield* page.items;
      if (next && !options.pipeline) pending = range.fetch(next);
    }
  }
}

/**
 * The same promise, with a handler attached so that a fetch whose result is never awaited (the
 * reader stopped first) does not surface as an unhandled rejection; awaiting it still throws.
 */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
