import { describe, expect, it } from 'vitest';
import type { TransitionResult } from '../../shared/domain/ports.js';
import { newRequest, type AccessRequest } from '../../shared/domain/request.js';
import { MAX_RACE_RETRIES, retryOnConflict } from '../../shared/usecases/retry-on-conflict.js';

const base = newRequest({
  id: 'r1',
  at: new Date('2026-11-27T09:00:00.000Z'),
  requester: 'UDEV1',
  principal: 'dev1',
  targetId: 'dev-group',
  targetKind: 'group',
  durationSeconds: 3600,
  approvalsRequired: 1,
});
const version = (v: number): AccessRequest => ({ ...base, version: v });

/** A store whose first `conflicts` conditional writes lose a race (someone wrote version + 1). */
function racingStore(conflicts: number) {
  let stored = version(1);
  const log: string[] = [];
  return {
    log,
    read: async () => {
      log.push(`read v${stored.version}`);
      return stored;
    },
    write: async (current: AccessRequest, plan: string): Promise<TransitionResult> => {
      log.push(`write ${plan} on v${current.version}`);
      if (log.filter((l) => l.startsWith('write')).length <= conflicts) {
        stored = version(stored.version + 1);
        return { ok: false, reason: 'conflict', current: stored };
      }
      stored = { ...current, version: current.version + 1 };
      return { ok: true, request: stored };
    },
  };
}

describe('retryOnConflict', () => {
  it('after a lost race, reads again, decides on the fresh record and writes once', async () => {
    const store = racingStore(1);
    const result = await retryOnConflict<string, string>({
      read: store.read,
      decide: (current) => ({ write: `plan@v${current.version}` }),
      write: store.write,
      committed: (written, plan) => `${plan} → v${written.version}`,
      exhausted: () => Promise.reject(new Error('gave up')),
    });
    expect(result).toBe('plan@v2 → v3');
    expect(store.log).toEqual(['read v1', 'write plan@v1 on v1', 'read v2', 'write plan@v2 on v2']);
  });

  it('finishes without writing when the decision is done', async () => {
    const store = racingStore(0);
    const result = await retryOnConflict<string, string>({
      read: store.read,
      decide: () => ({ done: 'already there' }),
      write: store.write,
      committed: () => 'written',
      exhausted: () => Promise.reject(new Error('gave up')),
    });
    expect(result).toBe('already there');
    expect(store.log).toEqual(['read v1']);
  });

  it(`gives up after ${MAX_RACE_RETRIES} lost races with the use case's own error`, async () => {
    const store = racingStore(Number.POSITIVE_INFINITY);
    await expect(
      retryOnConflict<string, string>({
        read: store.read,
        decide: () => ({ write: 'plan' }),
        write: store.write,
        committed: () => 'written',
        exhausted: () => Promise.reject(new Error('kept changing')),
      }),
    ).rejects.toThrow('kept changing');
    expect(store.log.filter((l) => l.startsWith('write'))).toHaveLength(MAX_RACE_RETRIES);
  });

  it('lets a use case finish on a conflict instead of retrying', async () => {
    const store = racingStore(1);
    const result = await retryOnConflict<string, string>({
      read: store.read,
      decide: () => ({ write: 'plan' }),
      write: store.write,
      committed: () => 'written',
      conflict: (now) => ({ done: `moved on to v${now.version}` }),
      exhausted: () => Promise.reject(new Error('gave up')),
    });
    expect(result).toBe('moved on to v2');
    expect(store.log.filter((l) => l.startsWith('write'))).toHaveLength(1);
  });

  it('lets a refusal thrown by decide through, writing nothing', async () => {
    const store = racingStore(0);
    await expect(
      retryOnConflict<string, string>({
        read: store.read,
        decide: () => {
          throw new Error('not yours');
        },
        write: store.write,
        committed: () => 'written',
        exhausted: () => Promise.reject(new Error('gave up')),
      }),
    ).rejects.toThrow('not yours');
    expect(store.log).toEqual(['read v1']);
  });
});
