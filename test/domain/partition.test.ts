import { describe, expect, it } from 'vitest';
import { consoleEndpoints, partitionOf } from '../../shared/domain/partition.js';

describe('partitions', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/jit/ProdOperator', 'aws'],
    ['arn:aws-us-gov:iam::111122223333:role/jit/ProdOperator', 'aws-us-gov'],
    ['arn:aws-cn:iam::111122223333:role/jit/ProdOperator', 'aws-cn'],
    ['arn:aws-iso:iam::111122223333:role/jit/ProdOperator', undefined],
    ['not-an-arn', undefined],
  ])('%s is in partition %s', (arn, partition) => {
    expect(partitionOf(arn)).toBe(partition);
  });

  it('gives GovCloud its own federation endpoint and console', () => {
    expect(consoleEndpoints('aws-us-gov')).toEqual({
      federationUrl: 'https://signin.amazonaws-us-gov.com/federation',
      destination: 'https://console.amazonaws-us-gov.com/',
    });
  });
});
