import type { ActivityLookup, ActivityRecord } from '../../domain/activity.js';
import type { SandboxRecord } from './sandbox-aws.js';

/** LookupEvents' largest page, kept so the sandbox pages as CloudTrail does. */
const PAGE_SIZE = 50;

/** One call a role session made, as the sandbox CloudTrail holds it. */
export interface SandboxTrailCall {
  /** The account of the session's role. */
  readonly account: string;
  /** The RoleSessionName (CloudTrail's `Username`). */
  readonly sessionName: string;
  readonly sourceIdentity?: string;
  /** The role of the session (an Identity Center session: `AWSReservedSSO_<PermissionSetName>_<hash>`). */
  readonly roleName?: string;
  /** `s3.amazonaws.com`, `signin.amazonaws.com`... */
  readonly eventSource: string;
  readonly eventName: string;
  readonly at: Date;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
}

/**
 * The local runner's stand-in for CloudTrail `LookupEvents`, in memory. The sandbox cannot
 * observe calls made with the credentials it mints (they open nothing), so what it holds is:
 * - the sandbox's own calls on behalf of a role session, fed by {@link observe}: each
 *   `AssumeRole` it served becomes the session's `sts.amazonaws.com AssumeRole` record;
 * - calls said to have been made with a session's credentials, through {@link record} (the
 *   demo and the tests play the holder).
 * Looked up as CloudTrail does: by session name and account, `from` ≤ time < `to`, newest
 * first, paged with an opaque `nextToken`. Never wired in a Lambda function.
 */
export class SandboxCloudTrail implements ActivityLookup {
  private readonly calls: SandboxTrailCall[] = [];

  /** Takes the sandbox's records (SandboxAws' `onRecord`): an AssumeRole opens its session's trail. */
  observe(record: SandboxRecord): void {
    if (record.action !== 'AssumeRole') return;
    const { roleArn, roleSessionName, sourceIdentity } = record.detail;
    this.record({
      account: String(roleArn).split(':')[4] ?? '',
      sessionName: String(roleSessionName),
      sourceIdentity: String(sourceIdentity),
      roleName: String(roleArn).split('/').at(-1) ?? '',
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      at: new Date(record.at),
      readOnly: false,
    });
  }

  /** Records one call made with a role session's credentials. */
  record(call: SandboxTrailCall): void {
    this.calls.push(call);
  }

  /** Every call held, oldest first (the /sandbox page). */
  history(): readonly SandboxTrailCall[] {
    return [...this.calls];
  }

  async lookup(query: Parameters<ActivityLookup['lookup']>[0]) {
    const matching = this.calls
      .filter(
        (c) =>
          c.account === query.account &&
          c.sessionName === query.username &&
          c.at >= query.from &&
          c.at < query.to,
      )
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    const start = query.nextToken === undefined ? 0 : Number(query.nextToken);
    const end = start + PAGE_SIZE;
    return {
      records: matching.slice(start, end).map(recordOf),
      ...(end < matching.length ? { nextToken: String(end) } : {}),
    };
  }
}

function recordOf(call: SandboxTrailCall): ActivityRecord {
  return {
    eventSource: call.eventSource,
    eventName: call.eventName,
    eventTime: call.at.toISOString(),
    ...(call.sourceIdentity === undefined ? {} : { sourceIdentity: call.sourceIdentity }),
    ...(call.roleName === undefined ? {} : { roleName: call.roleName }),
    ...(call.readOnly === undefined ? {} : { readOnly: call.readOnly }),
    ...(call.errorCode === undefined ? {} : { errorCode: call.errorCode }),
  };
}
