/**
 * A bench-only meter on a DynamoDB client: counts every command by name (and the ones that
 * failed, by error name) and, when asked, adds `ReturnConsumedCapacity: TOTAL` to every
 * request and sums the read and write capacity units DynamoDB reports.
 *
 * Used by bench/sweep.ts (reads and writes per grant) and bench/cost.ts (units per lifecycle).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Reads are the commands that only read; everything else counts as a write. */
const READ_COMMANDS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

interface Units {
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
  readonly CapacityUnits?: number;
}

interface Capacity extends Units {
  readonly TableName?: string;
  readonly Table?: Units;
  readonly GlobalSecondaryIndexes?: Record<string, Units>;
}

/** What the meter saw since it was last reset. */
export interface MeterSnapshot {
  /** Calls per command name (including the ones that failed). */
  readonly calls: Record<string, number>;
  /** Failed calls per `command:ErrorName`. */
  readonly failures: Record<string, number>;
  readonly reads: number;
  readonly writes: number;
  /** Read capacity units DynamoDB reported (0 unless capacity is requested). */
  readonly rcu: number;
  /** Write capacity units DynamoDB reported (0 unless capacity is requested). */
  readonly wcu: number;
  /**
   * The same units by where they were spent: `table` or `table/index` (only with
   * `capacity: 'INDEXES'`; a response without the breakdown counts under its table).
   */
  readonly byPlace: Record<string, { rcu: number; wcu: number }>;
}

/** A meter attached to one client; `snapshot()` reads it, `reset()` starts over. */
export interface DynamoMeter {
  snapshot(): MeterSnapshot;
  reset(): void;
}

function emptyCounts() {
  return {
    calls: {} as Record<string, number>,
    failures: {} as Record<string, number>,
    reads: 0,
    writes: 0,
    rcu: 0,
    wcu: 0,
    byPlace: {} as Record<string, { rcu: number; wcu: number }>,
  };
}

/** Splits one unit figure into read and write, by the kind of command when DynamoDB gives only a total. */
function unitsOf(units: Units, isRead: boolean): { rcu: number; wcu: number } {
  if (units.ReadCapacityUnits === undefined && units.WriteCapacityUnits === undefined) {
    const total = units.CapacityUnits ?? 0;
    return isRead ? { rcu: total, wcu: 0 } : { rcu: 0, wcu: total };
  }
  return { rcu: units.ReadCapacityUnits ?? 0, wcu: units.WriteCapacityUnits ?? 0 };
}

/**
 * Attaches the meter to `client` (and so to every DocumentClient built from it).
 * `capacity`: ask DynamoDB for consumed capacity on every request (`true`: TOTAL;
 * `'INDEXES'`: also split by table and index, in `byPlace`).
 */
export function attachMeter(
  client: DynamoDBClient,
  options: { capacity?: boolean | 'INDEXES' } = {},
): DynamoMeter {
  let counts = emptyCounts();
  const addPlace = (place: string, units: { rcu: number; wcu: number }) => {
    const entry = (counts.byPlace[place] ??= { rcu: 0, wcu: 0 });
    entry.rcu += units.rcu;
    entry.wcu += units.wcu;
  };
  const addCapacity = (consumed: Capacity | readonly Capacity[] | undefined, isRead: boolean) => {
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
      const entry = c as Capacity;
      const total = unitsOf(entry, isRead);
      counts.rcu += total.rcu;
      counts.wcu += total.wcu;
      const table = entry.TableName ?? 'unknown';
      const indexes = Object.entries(entry.GlobalSecondaryIndexes ?? {});
      if (entry.Table === undefined && indexes.length === 0) {
        addPlace(table, total);
        continue;
      }
      if (entry.Table) addPlace(table, unitsOf(entry.Table, isRead));
      for (const [index, units] of indexes) addPlace(`${table}/${index}`, unitsOf(units, isRead));
    }
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? 'unknown';
      const isRead = READ_COMMANDS.has(name);
      counts.calls[name] = (counts.calls[name] ?? 0) + 1;
      if (isRead) counts.reads++;
      else counts.writes++;
      if (options.capacity) {
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??=
          options.capacity === 'INDEXES' ? 'INDEXES' : 'TOTAL';
      }
      try {
        const result = await next(args);
        addCapacity((result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity, isRead);
        return result;
      } catch (error) {
        const key = `${name}:${(error as Error).name}`;
        counts.failures[key] = (counts.failures[key] ?? 0) + 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchDynamoMeter' },
  );
  return {
    snapshot: () => ({
      calls: { ...counts.calls },
      failures: { ...counts.failures },
      reads: counts.reads,
      writes: counts.writes,
      rcu: Number(counts.rcu.toFixed(2)),
      wcu: Number(counts.wcu.toFixed(2)),
      byPlace: Object.fromEntries(
        Object.entries(counts.byPlace).map(([k, v]) => [
          k,
          { rcu: Number(v.rcu.toFixed(2)), wcu: Number(v.wcu.toFixed(2)) },
        ]),
      ),
    }),
    reset: () => {
      counts = emptyCounts();
    },
  };
}

/** `a - b`, field by field (what happened between two snapshots). */
export function meterDelta(a: MeterSnapshot, b: MeterSnapshot): MeterSnapshot {
  const diff = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(x)
        .map(([k, v]) => [k, v - (y[k] ?? 0)] as const)
        .filter(([, v]) => v !== 0),
    );
  return {
    calls: diff(a.calls, b.calls),
    failures: diff(a.failures, b.failures),
    reads: a.reads - b.reads,
    writes: a.writes - b.writes,
    rcu: Number((a.rcu - b.rcu).toFixed(2)),
    wcu: Number((a.wcu - b.wcu).toFixed(2)),
    byPlace: Object.fromEntries(
      Object.entries(a.byPlace)
        .map(([k, v]) => {
          const before = b.byPlace[k] ?? { rcu: 0, wcu: 0 };
          return [
            k,
            { rcu: Number((v.rcu - before.rcu).toFixed(2)), wcu: Number((v.wcu - before.wcu).toFixed(2)) },
          ] as const;
        })
        .filter(([, v]) => v.rcu !== 0 || v.wcu !== 0),
    ),
  };
}
