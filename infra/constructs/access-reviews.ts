import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REVIEW_MARKER_PREFIX } from '../../shared/adapters/dynamodb/review-markers.js';
import { REVIEW_PREFIX } from '../../shared/domain/review-delivery.js';
import { acknowledgeWildcardResources } from '../nag.js';
import type { BrokerFunction } from './broker-function.js';

/** The review's default schedule: Mondays 06:00 UTC, reviewing the week before. */
export const DEFAULT_REVIEW_SCHEDULE = 'cron(0 6 ? * MON *)';

export interface AccessReviewsProps {
  /** The access-review function (its role gets exactly what the review needs). */
  readonly fn: BrokerFunction;
  /** Where the CSVs go, under `reviews/` (the audit archive's bucket). */
  readonly bucket: s3.IBucket;
  /** The audit table's ARN (review markers) and its index ARNs (the by-day reads). */
  readonly auditTableArn: string;
  readonly auditIndexArns: readonly string[];
  /** An EventBridge schedule expression. Default DEFAULT_REVIEW_SCHEDULE. */
  readonly schedule?: string;
}

/**
 * The periodic access review: its schedule and its least privilege. The function reads the
 * audit trail (GetItem, Query), writes only its own marker items (`review#…` keys, by the
 * `dynamodb:LeadingKeys` condition) and only objects under `reviews/` (s3:PutObject, nothing
 * else on the bucket: the archive's bucket policy denies it every destructive action anyway).
 */
export class AccessReviews extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AccessReviewsProps) {
    super(scope, id);
    const { fn } = props;
    const reviews = props.bucket.arnForObjects(`${REVIEW_PREFIX}*`);
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [reviews] }));
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: [props.auditTableArn, ...props.auditIndexArns],
      }),
    );
    // Why: the review may mark its periods, never write an audit event or a chain head.
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.auditTableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REVIEW_MARKER_PREFIX}*`] } },
      }),
    );
    acknowledgeWildcardResources(
      fn.role,
      [reviews],
      'The access review writes one CSV per period under reviews/, named by the period.',
    );
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Delivers the JIT broker access review of the last period (once per period)',
      schedule: events.Schedule.expression(props.schedule ?? DEFAULT_REVIEW_SCHEDULE),
      targets: [new targets.LambdaFunction(fn.function, { retryAttempts: 2 })],
    });
  }
}
