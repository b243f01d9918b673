import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_SCHEDULE } from '../../infra/constructs/access-reviews.js';
import { ENV } from '../../shared/config/env.js';
import { synthBroker, type SynthResult } from './synth-broker.js';
import { list, render, SYNTH_TIMEOUT_MS, templateStatements } from './template-statements.js';

let synth: SynthResult;
beforeAll(() => {
  // cdk-nag runs in the synthesis: an unacknowledged finding throws here.
  synth = synthBroker();
}, SYNTH_TIMEOUT_MS);

describe('the access review in the stack', () => {
  it('runs the review function weekly, with the bucket and the Slack secret', () => {
    const { logicalIdOf } = templateStatements(synth);
    const fnId = logicalIdOf('AccessReview', 'AWS::Lambda::Function');
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: DEFAULT_REVIEW_SCHEDULE,
      Targets: [{ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } }],
    });
    const env = (
      synth.json.Resources[fnId]!.Properties!.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([ENV.reviewBucket, ENV.slackSecretArn, ENV.auditTable]),
    );
  });

  it('may put objects under reviews/ only, read the audit trail, and write only its review# markers', () => {
    const { ofRole, resourcesFor } = templateStatements(synth);
    const statements = ofRole('AccessReview');
    const s3Actions = statements.flatMap((s) => list(s.Action)).filter((a) => a.startsWith('s3:'));
    expect(s3Actions).toEqual(['s3:PutObject']);
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([
      expect.stringMatching(/^<ArchiveBucket[0-9A-F]+\.Arn>\/reviews\/\*$/),
    ]);
    const writes = statements.filter((s) =>
      list(s.Action).some((a) => /^dynamodb:(Put|Update|Delete)/.test(a)),
    );
    expect(writes).toHaveLength(1);
    expect(list(writes[0]!.Action).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(writes[0]!.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['review#*'] },
    });
    expect(list(writes[0]!.Resource).map(render)).toHaveLength(1);
    // No wildcard action anywhere in the role.
    expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.includes('*'))).toEqual([]);
  });
});
