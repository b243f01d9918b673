import { beforeAll, describe, expect, it } from 'vitest';
import {
  deployedPolicyText,
  MANAGED_POLICY_MAX_CHARS,
  ROLE_INLINE_POLICIES_MAX_CHARS,
} from './deployed-policy.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

/**
 * IAM refuses a policy over its size quota only at deploy time ("Cannot exceed quota for
 * PolicySize"), and CloudFormation then rolls the whole stack back. These checks resolve every
 * policy as IAM will store it (long stack name, partition and Region; whitespace excluded) and
 * keep the broker's room visible before anyone deploys.
 */
let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker();
}, 300_000);

const ofType = (type: string) =>
  Object.entries(synth.json.Resources).filter(([, resource]) => resource.Type === type);

describe('policy sizes once deployed', () => {
  it('every managed policy (the broker boundaries, the brokered-role boundary) fits in 6,144 characters', () => {
    const managed = ofType('AWS::IAM::ManagedPolicy');
    expect(managed.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BoundaryPolicy/),
        expect.stringMatching(/^BoundaryControlPolicy/),
        expect.stringMatching(/^BrokeredRoleBoundaryPolicy/),
      ]),
    );
    const sizes = Object.fromEntries(
      managed.map(([id, policy]) => [id, deployedPolicyText(synth, policy.Properties?.PolicyDocument)]),
    );
    console.info(
      `managed policy sizes (of ${MANAGED_POLICY_MAX_CHARS}): ${Object.entries(sizes)
        .map(([id, text]) => `${id} ${text.length}`)
        .join(', ')}`,
    );
    for (const [id, text] of Object.entries(sizes)) {
      expect(text, id).not.toMatch(/Fn::|"Ref"/);
      expect(text.length, `${id}: ${text.length} characters`).toBeLessThan(MANAGED_POLICY_MAX_CHARS);
    }
  });

  it("every role's inline policies together fit in 10,240 characters", () => {
    const byRole = new Map<string, number>();
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      const size = deployedPolicyText(synth, policy.Properties?.PolicyDocument).length;
      for (const role of (policy.Properties?.Roles ?? []) as { Ref: string }[])
        byRole.set(role.Ref, (byRole.get(role.Ref) ?? 0) + size);
    }
    expect(byRole.size).toBeGreaterThan(0);
    for (const [role, size] of byRole)
      expect(size, `${role}: ${size} characters`).toBeLessThan(ROLE_INLINE_POLICIES_MAX_CHARS);
  });
});
