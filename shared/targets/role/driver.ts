import {
  AwsOperationError,
  type AwsReceipt,
  type RoleDenyList,
  type SessionVendor,
} from '../../domain/grant-ports.js';
import { isLive } from '../../domain/lifecycle.js';
import { partitionOf, type Partition } from '../../domain/partition.js';
import type { AccessPolicy } from '../../domain/policy.js';
import type { AccessRequest } from '../../domain/request.js';
import {
  roleSessionName,
  sessionDurationSeconds,
  sessionPolicy,
  sessionTags,
} from '../../domain/session-policies.js';
import type { DriverContext, StepReceipt, TargetDriver } from '../../domain/target-kind.js';
import { isEarlyRoleEnd, isRoleTarget, ROLE_KIND, type RoleTarget } from './kind.js';

function receiptOf(r: AwsReceipt): AwsReceipt {
  return r.awsRequestId === undefined ? {} : { awsRequestId: r.awsRequestId };
}

/** Role targets naming `roleArn`: several targets may share one role, and the deny is per role. */
function targetIdsOfRole(policy: AccessPolicy, roleArn: string): string[] {
  return policy.targets.filter((t) => isRoleTarget(t) && t.roleArn === roleArn).map((t) => t.id);
}

/**
 * Other live grants of the same person on the same role (through any target naming it) that
 * still run after `now`, the one ending last first. Each is re-read consistently. Why: the
 * listing is an index that may lag, and a grant that has just ended must not spare sessions.
 */
async function coveringRoleGrants(
  ctx: Pick<DriverContext, 'store' | 'policy'>,
  grant: Pick<AccessRequest, 'id' | 'principal'>,
  roleArn: string,
  now: Date,
): Promise<AccessRequest[]> {
  const found: AccessRequest[] = [];
  for (const targetId of targetIdsOfRole(ctx.policy.current(), roleArn)) {
    for (const listed of await ctx.store.listLiveFor(grant.principal, targetId)) {
      if (listed.id === grant.id) continue;
      const other = await ctx.store.get(listed.id);
      if (other && isLive(other.status) && other.endsAt !== undefined && new Date(other.endsAt) > now) {
        found.push(other);
      }
    }
  }
  return found.sort((a, b) => Date.parse(b.endsAt ?? '') - Date.parse(a.endsAt ?? ''));
}

/**
 * Kills the live sessions of `grant`'s holder on its role: a deny on the role for every
 * session of that person (`aws:SourceIdentity`) issued before `now`. Overlap rule: the deny
 * cannot tell one grant's sessions from another's, so it is skipped when another live grant
 * of that person on the same role runs at least until this grant's end; every session minted
 * under this grant already stops at its end by its own session policy
 * (`sessionsKeptFor`). When the other grants all end earlier, the deny is still written
 * (this grant's sessions could outlive them) and the holder mints new credentials under
 * the other grant (`coveringGrantEndsEarlier`).
 */
async function endRoleSessions(
  ctx: Pick<DriverContext, 'store' | 'policy'>,
  denyList: RoleDenyList,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'endsAt'>,
  target: RoleTarget,
  now: Date,
): Promise<StepReceipt> {
  const [latest] = await coveringRoleGrants(ctx, grant, target.roleArn, now);
  const end = Date.parse(grant.endsAt ?? '');
  if (latest && Date.parse(latest.endsAt ?? '') >= end) return { detail: { sessionsKeptFor: latest.id } };
  const receipt = await denyList.denySessionsIssuedBefore({
    roleArn: target.roleArn,
    principal: grant.principal,
    before: now,
    now,
    maxSessionSeconds: target.maxSessionDurationSeconds,
  });
  return {
    ...receiptOf(receipt),
    detail: {
      sessionsDeniedBefore: now.toISOString(),
      ...(latest ? { coveringGrantEndsEarlier: latest.id } : {}),
    },
  };
}

/** The session's partition (its console link's hosts), from the role's ARN. */
function partitionField(roleArn: string): { partition?: Partition } {
  const partition = partitionOf(roleArn);
  return partition === undefined ? {} : { partition };
}

/**
 * Whether a REVOKED role grant still needs its seal: a session minted under it before the
 * REVOKED write (`decidedAt`) lives at most the role's max session, and never past the
 * grant's own end (its session policy).
 */
export function roleSealDue(grant: AccessRequest, target: RoleTarget, now: Date): boolean {
  if (grant.status !== 'REVOKED' || grant.decidedAt === undefined || grant.endsAt === undefined) {
    return false;
  }
  const lastSessionEnd = Math.min(
    Date.parse(grant.decidedAt) + target.maxSessionDurationSeconds * 1000,
    Date.parse(grant.endsAt),
  );
  return now.getTime() < lastSessionEnd;
}

/**
 * The role kind's steps: nothing to set up at activation (sessions are minted on demand
 * inside the window), an early end denies the holder's live sessions on the role (the role's
 * deny list), and credentials come from STS AssumeRole with the grant's session policy.
 */
export function createRoleDriver(adapters: {
  readonly sessions: SessionVendor;
  readonly denyList: RoleDenyList;
}): TargetDriver<RoleTarget> {
  const { sessions, denyList } = adapters;
  return {
    kind: ROLE_KIND,
    grant: async (_ctx, _grant, target) => ({ detail: ROLE_KIND.describe(target) }),
    async end(ctx, grant, target, end, now) {
      if (!isEarlyRoleEnd(grant, end, now)) return { detail: { sessionsEndAt: grant.endsAt ?? '' } };
      if (!target) {
        throw new AwsOperationError('iam:PutRolePolicy', `target ${grant.targetId} is not in the policy`, {
          transient: false,
        });
      }
      return endRoleSessions(ctx, denyList, grant, target, now);
    },
    sealDue: isEarlyRoleEnd,
    /**
     * Moves the revoke time to after the REVOKED write. Why: a "Get credentials" that read the
     * grant as ACTIVE just before the revoke may mint a session after the first deny; once the
     * grant is REVOKED no new session is handed out under it, so a deny dated after that write
     * covers every session that could have been. Runs the overlap check again (see
     * endRoleSessions): two grants covering each other and ended at once would each have
     * spared the other's sessions at first; afterwards, at least one of them sees the other
     * ended. Throws AwsOperationError on failure.
     */
    seal: (ctx, ended, target) => endRoleSessions(ctx, denyList, ended, target, ctx.clock.now()),
    sealFailureMessage: 'sealing a role revoke failed; a session minted during the revoke may still be live',
    retrySealInJob: true,
    resealDue: roleSealDue,
    // Activation gave nothing: sessions are minted on demand and stop at the grant's end.
    revert: async () => undefined,
    async prune(ctx, targets, now) {
      let removed = 0;
      const roles = new Map<string, number>();
      for (const target of targets) {
        roles.set(target.roleArn, Math.max(roles.get(target.roleArn) ?? 0, target.maxSessionDurationSeconds));
      }
      for (const [roleArn, maxSessionSeconds] of roles) {
        try {
          removed += (await denyList.prune({ roleArn, now, maxSessionSeconds })).removed;
        } catch (error) {
          ctx.logger.warn('pruning a deny list failed', { roleArn, error: (error as Error).message });
        }
      }
      return removed;
    },
    credentials: {
      /**
       * A session with SourceIdentity = the holder's AWS identity, session tags (grant,
       * requester), a RoleSessionName naming both, a duration no longer than what remains
       * (within STS's minimum and the role's maximum) and a session policy that stops it at
       * the grant's end to the second. Throws ValidationError once the window has closed.
       */
      async mint(grant, target, window, now) {
        const durationSeconds = sessionDurationSeconds(now, window.endsAt, target.maxSessionDurationSeconds);
        const sessionName = roleSessionName(grant.principal, grant.id);
        const minted = await sessions.assumeRole({
          roleArn: target.roleArn,
          roleSessionName: sessionName,
          sourceIdentity: grant.principal,
          durationSeconds,
          tags: sessionTags({ grantId: grant.id, principal: grant.principal, requester: grant.requester }),
          policy: sessionPolicy(window.endsAt),
        });
        return {
          ...receiptOf(minted),
          credentials: minted.credentials,
          durationSeconds,
          ...partitionField(target.roleArn),
          detail: {
            roleSessionName: sessionName,
            durationSeconds,
            sessionExpiresAt: minted.credentials.expiration.toISOString(),
            sessionPolicyEndsAt: window.endsAt.toISOString(),
          },
        };
      },
    },
  };
}
