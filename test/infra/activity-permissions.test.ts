import { describe, expect, it } from 'vitest';
import { synthBroker } from './synth-broker.js';
import { list, render, templateStatements } from './template-statements.js';

/** Every role policy statement of the template that grants `action`, with the role it is attached to. */
function grantsOf(json: ReturnType<typeof synthBroker>['json'], action: string) {
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => {
      const roles = ((r.Properties?.Roles ?? []) as unknown[]).map((ref) => JSON.stringify(ref));
      const doc = r.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] };
      return doc.Statement.filter((s) => list(s.Action).includes(action)).map((statement) => ({
        roles,
        statement,
      }));
    });
}

describe('CloudTrail activity permissions', () => {
  it('grants cloudtrail:LookupEvents to the sweeper role only, held to the configured Regions (cdk-nag clean)', () => {
    const synth = synthBroker({ context: { activityRegions: 'eu-west-1,us-east-1' } });
    const sweeperRole = templateStatements(synth).logicalIdOf('SweeperRole', 'AWS::IAM::Role');
    // The web-app baseline's auditor role is a brokered target (people's access), not a broker role.
    const grants = grantsOf(synth.json, 'cloudtrail:LookupEvents').filter(
      (g) => !g.roles.some((r) => r.includes('WebAppIamBaseline')),
    );
    expect(grants).toHaveLength(1);
    expect(grants[0]?.roles).toEqual([JSON.stringify({ Ref: sweeperRole })]);
    expect(grants[0]?.statement).toEqual({
      Sid: 'CloudTrailActivity',
      Effect: 'Allow',
      Action: 'cloudtrail:LookupEvents',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } },
    });
    const sweeper = Object.values(synth.json.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties?.Role).includes(sweeperRole),
    );
    const env = (sweeper?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.ACTIVITY_REGIONS).toBe('eu-west-1,us-east-1');
    expect(render(env.ACTIVITY_ACCOUNT)).toBe('<AWS::AccountId>');
  }, 300_000);
});
