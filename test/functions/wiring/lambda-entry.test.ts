import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaEntry } from '../../../functions/wiring/lambda-entry.js';

const context = {
  functionName: 'sweeper',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;

describe('the Lambda entry helper', () => {
  it('wires on the first call only, then runs every event through the same wiring', async () => {
    let builds = 0;
    const handler = lambdaEntry<{ n: number }, number>(() => {
      builds += 1;
      return { logger: new Logger({ logLevel: 'SILENT' }), run: async (event) => event.n * 2 };
    });
    expect(builds).toBe(0);
    expect(await handler({ n: 1 }, context)).toBe(2);
    expect(await handler({ n: 2 }, context)).toBe(4);
    expect(builds).toBe(1);
  });

  it('tries the wiring again after a failed cold start', async () => {
    let builds = 0;
    const handler = lambdaEntry<object, string>(() => {
      builds += 1;
      if (builds === 1) throw new Error('SWEEP_CONCURRENCY: bad');
      return { logger: new Logger({ logLevel: 'SILENT' }), run: async () => 'ran' };
    });
    await expect(handler({}, context)).rejects.toThrow('SWEEP_CONCURRENCY');
    expect(await handler({}, context)).toBe('ran');
  });
});
