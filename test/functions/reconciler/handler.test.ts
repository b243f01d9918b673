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
