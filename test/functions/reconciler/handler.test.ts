import { describe, expect, it } from 'vitest';
import { createReconcilerHandler } from '../../../functions/reconciler/handler.js';
import { grantWorld } from '../../support/fake-aws.js';

describe('reconciler handler', () => {
  it.each([
    { remove: false, left: ['mallory'] },
    { remove: true, left: [] },
  ])('with remove=$remove reports drift and leaves $left', async ({ remove, left }) => {
    const w = grantWorld();
    w.groups.put('jit-developers', 'mallory');
    const report = await createReconcilerHandler({
      deps: w.deps,
      remove,
      logger: { info: () => undefined },
    })();
    expect(report.findings.map((f) => f.member)).toEqual(['mallory']);
    expect(w.groups.members('jit-developers')).toEqual(left);
  });
});

describe('reconciler handler time budget', () => {
  it('starts no further group once the invocation is about to time out, and reports the groups left', async () => {
    const w = grantWorld();
    w.groups.put('jit-developers', 'mallory');
    w.groups.put('jit-sandbox', 'bob');
    const remaining = [60_000, 5_000];
    const report = await createReconcilerHandler({
      deps: w.deps,
      remove: true,
      logger: { info: () => undefined },
    })({ getRemainingTimeInMillis: () => remaining.shift() ?? 5_000 });
    expect(report).toMatchObject({ groupsChecked: 1, groupsLeft: 1 });
    expect(report.findings.map((f) => f.member)).toEqual(['mallory']);
    expect(w.groups.members('jit-sandbox')).toEqual(['bob']);
  });
});
