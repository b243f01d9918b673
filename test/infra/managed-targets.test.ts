import { describe, expect, it } from 'vitest';
import { managedTargets, validateManagedPath } from '../../infra/managed-targets.js';
import { EXAMPLE_POLICY_PATH, loadPolicyFile } from '../../shared/config/policy-file.js';
import type { AccessPolicy, Target } from '../../shared/domain/policy.js';
import type { RoleTarget } from '../../shared/targets/role/kind.js';

const example = loadPolicyFile(EXAMPLE_POLICY_PATH);
const scope = { partition: 'aws', account: '444455556666' };
const withTargets = (targets: Target[]): AccessPolicy => ({ ...example, targets });
const role = (roleArn: string): RoleTarget => ({ ...(example.targets[3] as RoleTarget), roleArn });

describe('managedTargets', () => {
  it('names the example policy groups in the stack account under the managed path, and its roles as written', () => {
    const managed = managedTargets(example, '/jit/', scope);
    expect(managed.groupArns).toEqual([
      'arn:aws:iam::444455556666:group/jit/jit-developers',
      'arn:aws:iam::444455556666:group/jit/jit-testers',
      'arn:aws:iam::444455556666:group/jit/jit-operators',
    ]);
    expect(managed.roleArns).toEqual([
      'arn:aws:iam::111122223333:role/jit/ProdOperator',
      'arn:aws:iam::111122223333:role/jit/Auditor',
      'arn:aws:iam::111122223333:role/jit/BreakGlassAdmin',
    ]);
    expect(managed.groupPathPattern).toBe('arn:aws:iam::444455556666:group/jit/*');
    expect(managed.rolePathPatterns).toEqual(['arn:aws:iam::111122223333:role/jit/*']);
  });

  it.each([
    { description: 'a role directly under the root path', arn: 'arn:aws:iam::111122223333:role/Admin' },
    { description: 'a role on another path', arn: 'arn:aws:iam::111122223333:role/ops/Admin' },
    {
      description: 'a role nested below the managed path',
      arn: 'arn:aws:iam::111122223333:role/jit/deep/Admin',
    },
    {
      description: 'a path that only starts like the managed one',
      arn: 'arn:aws:iam::111122223333:role/jit-x/Admin',
    },
  ])('rejects $description', ({ arn }) => {
    expect(() => managedTargets(withTargets([role(arn)]), '/jit/', scope)).toThrow(
      `targets[0].roleArn: "${arn}" is not under the managed IAM path /jit/`,
    );
  });

  it('gives one role pattern per account and partition that the role targets name', () => {
    const managed = managedTargets(
      withTargets([
        role('arn:aws:iam::111122223333:role/jit/A'),
        role('arn:aws:iam::111122223333:role/jit/B'),
        role('arn:aws-us-gov:iam::777788889999:role/jit/C'),
      ]),
      '/jit/',
      scope,
    );
    expect(managed.rolePathPatterns).toEqual([
      'arn:aws:iam::111122223333:role/jit/*',
      'arn:aws-us-gov:iam::777788889999:role/jit/*',
    ]);
  });
});

describe('validateManagedPath', () => {
  it.each([
    { path: '/jit/', valid: true, description: 'a one-level path' },
    { path: '/teams/jit/', valid: true, description: 'a nested path' },
    { path: 'jit', valid: false, description: 'no slashes' },
    { path: '/', valid: false, description: 'the root path (every role)' },
    { path: '/jit', valid: false, description: 'no trailing slash' },
    { path: '/jit-broker/', valid: false, description: "the broker's own path" },
  ])('$description: $path → $valid', ({ path, valid }) => {
    if (valid) expect(validateManagedPath(path)).toBe(path);
    else expect(() => validateManagedPath(path)).toThrow(/managedIamPath/);
  });
});
