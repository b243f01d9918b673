import { describe, expect, it } from 'vitest';
import { createGrantWiring } from '../../../functions/shared/grant-wiring.js';
import { createBaseWiring } from '../../../functions/shared/wiring.js';
import { EXAMPLE_POLICY_PATH } from '../../../shared/config/policy-file.js';
import { ConfigError } from '../../../shared/domain/errors.js';

const env = {
  REQUESTS_TABLE_NAME: 'requests',
  AUDIT_TABLE_NAME: 'audit',
  POLICY_PATH: EXAMPLE_POLICY_PATH,
  AWS_REGION: 'us-east-1',
};

describe('entry-point wiring', () => {
  it('fails start-up naming the missing variable', () => {
    const { POLICY_PATH: _unused, ...withoutPolicy } = env;
    expect(() => createBaseWiring({ env: withoutPolicy })).toThrow(ConfigError);
    expect(() => createBaseWiring({ env: withoutPolicy })).toThrow(/POLICY_PATH/);
  });

  it('reads grant settings from the environment, with defaults', () => {
    const base = createBaseWiring({ env });
    expect(createGrantWiring({ base }).settings).toEqual({
      maxAttempts: 5,
      sweepConcurrency: 10,
      reconcileRemove: false,
    });
    const tuned = createGrantWiring({
      base: createBaseWiring({
        env: { ...env, GRANT_MAX_ATTEMPTS: '3', SWEEP_CONCURRENCY: '25', RECONCILE_REMOVE: 'true' },
      }),
    });
    expect(tuned.settings).toEqual({ maxAttempts: 3, sweepConcurrency: 25, reconcileRemove: true });
    expect(tuned.queue).toBeUndefined();
  });

  it('refuses a bad number, naming the variable', () => {
    const base = createBaseWiring({ env: { ...env, SWEEP_CONCURRENCY: 'many' } });
    expect(() => createGrantWiring({ base })).toThrow(/SWEEP_CONCURRENCY/);
  });
});
