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

interface Capacity {
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
  readonly CapacityUnits?: number;
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
  };
}

/**
 * Attaches the meter to `client` (and so to every DocumentClient built from it).
 * `capacity`: ask DynamoDB for consumed capacity on every request (TOTAL).
 */
export function attachMeter(client: DynamoDBClient, options: { capacity?: boolean } = {}): DynamoMeter {
  let counts = emptyCounts();
  const addCapacity = (consumed: Capacity | readonly Capacity[] | undefined, isRead: boolean) => {
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
      const entry = c as Capacity;
      const read = entry.ReadCapacityUnits;
      const write = entry.WriteCapacityUnits;
      if (read === undefined && write === undefined) {
        // Some responses carry only the total: attribute it by the kind of command.
        if (isRead) counts.rcu += entry.CapacityUnits ?? 0;
        else counts.wcu += entry.CapacityUnits ?? 0;
      } else {
        counts.rcu += read ?? 0;
        counts.wcu += write ?? 0;
      }
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
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??= 'TOTAL';
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
  };
}
