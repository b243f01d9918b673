import { LookupEventsCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { ActivityLookup, ActivityRecord } from '../../domain/activity.js';

/** CloudTrail's largest page of LookupEvents. */
const PAGE_SIZE = 50;

/**
 * Grant activity from CloudTrail `LookupEvents` (Username = the role session name), one page
 * per call. `clientFor` gives the client of an account and Region: LookupEvents reads only the
 * caller's account and Region, so a session in a member account is looked up with that
 * account's credentials (the broker's agent role there).
 *
 * An IAM Identity Center user's calls in a member account are those of the role
 * `AWSReservedSSO_<PermissionSetName>_<hash>` assumed with the user's UserName as the role
 * session name: `userIdentity.type` AssumedRole, `arn`
 * `arn:aws:sts::<account>:assumed-role/AWSReservedSSO_<PermissionSetName>_<hash>/<UserName>`,
 * `sessionContext.sessionIssuer.userName` the role's name
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
 * So LookupEvents by Username = the UserName finds them, and `roleName` tells the permission set.
 */
export class CloudTrailActivityLookup implements ActivityLookup {
  constructor(private readonly clientFor: (account: string, region: string) => CloudTrailClient) {}

  async lookup(query: Parameters<ActivityLookup['lookup']>[0]) {
    const out = await this.clientFor(query.account, query.region).send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: query.username }],
        StartTime: query.from,
        EndTime: query.to,
        MaxResults: PAGE_SIZE,
        ...(query.nextToken === undefined ? {} : { NextToken: query.nextToken }),
      }),
    );
    return {
      records: (out.Events ?? []).map(recordOf),
      ...(out.NextToken ? { nextToken: out.NextToken } : {}),
    };
  }
}

interface RawRecord {
  readonly eventSource?: string;
  readonly eventName?: string;
  readonly eventTime?: string;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  readonly userIdentity?: {
    readonly sessionContext?: {
      readonly sourceIdentity?: string;
      readonly sessionIssuer?: { readonly type?: string; readonly userName?: string };
    };
  };
}

/** One LookupEvents event as the summary needs it; the full record (`CloudTrailEvent`) wins where it parses. */
function recordOf(event: {
  EventSource?: string;
  EventName?: string;
  EventTime?: Date;
  ReadOnly?: string;
  CloudTrailEvent?: string;
}): ActivityRecord {
  let raw: RawRecord = {};
  try {
    raw = JSON.parse(event.CloudTrailEvent ?? '{}') as RawRecord;
  } catch {
    // A record that does not parse still counts, by its lookup fields.
  }
  const readOnly = raw.readOnly ?? (event.ReadOnly === undefined ? undefined : event.ReadOnly === 'true');
  const sourceIdentity = raw.userIdentity?.sessionContext?.sourceIdentity;
  const issuer = raw.userIdentity?.sessionContext?.sessionIssuer;
  const roleName = issuer?.type === 'Role' ? issuer.userName : undefined;
  return {
    eventSource: raw.eventSource ?? event.EventSource ?? 'unknown',
    eventName: raw.eventName ?? event.EventName ?? 'unknown',
    eventTime: raw.eventTime ? new Date(raw.eventTime).toISOString() : (event.EventTime?.toISOString() ?? ''),
    ...(readOnly === undefined ? {} : { readOnly }),
    ...(raw.errorCode === undefined ? {} : { errorCode: raw.errorCode }),
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
    ...(roleName === undefined ? {} : { roleName }),
  };
}
