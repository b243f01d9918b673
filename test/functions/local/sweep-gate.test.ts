import { describe, expect, it } from 'vitest';
import { SweepGate } from '../../../functions/local/sweep-gate.js';

/** A sweep the test finishes by hand (or never: an AWS call that never answers). */
function controllableSweeps() {
  const pending: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const sweep = () =>
    new Promise<string>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { sweep, pending };
}

describe('the local sweep gate', () => {
  const start = Date.parse('2026-11-27T09:00:00.000Z');

  it('answers at once while a run is in flight, and never starts a second one beside it', () => {
    let now = start;
    const { sweep, pending } = controllableSweeps();
    const gate = new SweepGate(sweep, { budgetMs: 60_000, nowMs: () => now });
    expect(gate.start().started).toBe(true);
    now += 5_000;
    expect(gate.start()).toEqual({ started: false, since: new Date(start), runningForSeconds: 5 });
    expect(pending).toHaveLength(1);
    expect(gate.health()).toMatchObject({
      running: true,
      runningForSeconds: 5,
      stuck: false,
      lastRunAt: null,
    });
  });

  it('gives up a run stuck past its budget: health says so, and the next request starts a new run', async () => {
    let now = start;
    const { sweep, pending } = controllableSweeps();
    const abandoned: number[] = [];
    const gate = new SweepGate(sweep, {
      budgetMs: 60_000,
      nowMs: () => now,
      onAbandon: (_since, seconds) => abandoned.push(seconds),
    });
    gate.start();
    now += 61_000;
    expect(gate.health()).toMatchObject({ running: true, stuck: true, runningForSeconds: 61 });

    const second = gate.start();
    expect(second.started).toBe(true);
    expect(abandoned).toEqual([61]);
    expect(pending).toHaveLength(2);
    pending[1]?.resolve('swept');
    await expect(second.started ? second.run : undefined).resolves.toBe('swept');
    await Promise.resolve();
    expect(gate.health()).toMatchObject({
      running: false,
      stuck: false,
      lastRunAt: new Date(start + 61_000).toISOString(),
      lastOutcome: 'ok',
      abandoned: 1,
    });

    // The stuck run settling late changes nothing.
    pending[0]?.reject(new Error('late'));
    await Promise.resolve();
    expect(gate.health()).toMatchObject({ lastOutcome: 'ok', running: false });
  });

  it('records a failed run and lets the next one start', async () => {
    const { sweep, pending } = controllableSweeps();
    const gate = new SweepGate(sweep, { budgetMs: 60_000, nowMs: () => start });
    const first = gate.start();
    pending[0]?.reject(new Error('DynamoDB is down'));
    await expect(first.started ? first.run : undefined).rejects.toThrow('DynamoDB is down');
    await Promise.resolve();
    expect(gate.health()).toMatchObject({ lastOutcome: 'failed', running: false });
    expect(gate.start().started).toBe(true);
  });

  it('join() shares the run in flight, and starts a new one when that one is stuck', async () => {
    let now = start;
    const { sweep, pending } = controllableSweeps();
    const gate = new SweepGate(sweep, { budgetMs: 1_000, nowMs: () => now });
    const a = gate.join();
    expect(gate.join()).toBe(a);
    now += 2_000;
    const b = gate.join();
    expect(b).not.toBe(a);
    pending[1]?.resolve('second');
    await expect(b).resolves.toBe('second');
  });
});
