/**
 * A small cache whose entries live `ttlMs` and which holds at most `maxEntries` (the oldest
 * goes first). Why bounded: lookups of people and accounts are cached per warm Lambda, and a
 * change in Identity Center or the Organization must show within minutes, never at a restart.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1_000,
  ) {}

  /** The cached value of `key`, or `load`'s (then cached; a failure is not). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await load();
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
    return value;
  }
}
