import type { AuditDetail } from '../../domain/audit.js';
import { AwsOperationError, SealRetryError, type AwsReceipt } from '../../domain/grant-ports.js';
import { isLive } from '../../domain/lifecycle.js';
import type { AccessRequest } from '../../domain/request.js';
import type { DriverContext, EndKind, StepReceipt, TargetDriver } from '../../domain/target-kind.js';
import { isPermissionSetTarget, PERMISSION_SET_KIND, type PermissionSetTarget } from './kind.js';
import type {
  Assignment,
  IdentityCenterAdmin,
  IdentityCenterUsers,
  OrganizationAccounts,
  OrgAccount,
  PermissionSetInfo,
} from './ports.js';
import { sealPolicy, sealSid } from './session-seal.js';

/**
 * One inline-policy change at a time per permission set in this process (seals of several
 * accounts end at once in one sweep); across processes the seal re-reads what it wrote.
 */
const policyLocks = new Map<string, Promise<unknown>>();
function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = policyLocks.get(key) ?? Promise.resolve();
  const next = previous.then(run, run);
  const settled = next.catch(() => undefined);
  policyLocks.set(key, settled);
  void settled.then(() => {
    if (policyLocks.get(key) === settled) policyLocks.delete(key);
  });
  return next;
}

/** The AWS adapters of the permission-set kind. */
export interface PermissionSetAdapters {
  readonly identityCenter: IdentityCenterAdmin;
  readonly users: IdentityCenterUsers;
  readonly organization: OrganizationAccounts;
}

type Ctx = Pick<DriverContext, 'store' | 'policy' | 'repairs' | 'logger'>;

/** What one grant of a permission-set target resolves to in AWS. */
interface Resolved {
  readonly assignment: Assignment;
  readonly set: PermissionSetInfo;
}

function permanent(operation: string, message: string): AwsOperationError {
  return new AwsOperationError(operation, message, { transient: false });
}

function receiptOf(r: AwsReceipt): AwsReceipt {
  return r.awsRequestId === undefined ? {} : { awsRequestId: r.awsRequestId };
}

/**
 * Every account `target` may be granted in: its accounts (named through DescribeAccount, the
 * id when unreadable) and the active accounts of its OUs, each once, in that order.
 */
export async function allowedAccounts(
  organization: OrganizationAccounts,
  target: PermissionSetTarget,
): Promise<readonly OrgAccount[]> {
  const found = new Map<string, OrgAccount>();
  for (const id of target.accounts) found.set(id, { id, name: (await organization.nameOf(id)) ?? id });
  for (const ou of target.ous) {
    for (const account of await organization.accountsUnder(ou, target.includeNestedOus)) {
      if (!found.has(account.id)) found.set(account.id, account);
    }
  }
  return [...found.values()];
}

/** The account of `grant`: the one it names, or the target's only account. */
export function accountOf(
  grant: Pick<AccessRequest, 'account'>,
  target: PermissionSetTarget,
): string | undefined {
  if (grant.account !== undefined) return grant.account;
  return target.accounts.length === 1 && target.ous.length === 0 ? target.accounts[0] : undefined;
}

async function mayGrantIn(
  organization: OrganizationAccounts,
  target: PermissionSetTarget,
  account: string,
): Promise<boolean> {
  if (target.accounts.includes(account)) return true;
  for (const ou of target.ous) {
    const under = await organization.accountsUnder(ou, target.includeNestedOus);
    if (under.some((a) => a.id === account)) return true;
  }
  return false;
}

/**
 * Resolves the grant's assignment: its account (allowed by the target), the permission set
 * (by ARN or name) and the person's Identity Center user (the target's `users` override, else
 * the grant's principal as email or user name). Every miss is permanent, with a message that
 * says what to fix.
 */
async function resolve(
  adapters: PermissionSetAdapters,
  grant: AccessRequest,
  target: PermissionSetTarget,
  operation: string,
): Promise<Resolved> {
  const accountId = accountOf(grant, target);
  if (accountId === undefined) {
    throw permanent(operation, `grant ${grant.id} names no account of target ${target.id}`);
  }
  // Why: the grant may only reach an account its target allows (the policy may have changed).
  if (!(await mayGrantIn(adapters.organization, target, accountId))) {
    throw permanent(operation, `account ${accountId} is not (or no longer) allowed by target ${target.id}`);
  }
  const set = await adapters.identityCenter.permissionSet(target.instanceArn, target.permissionSet);
  if (!set) {
    throw permanent(
      operation,
      `permission set ${target.permissionSet} of target ${target.id} is not in instance ${target.instanceArn}`,
    );
  }
  const userName = target.users[grant.requester] ?? grant.principal;
  const userId = await adapters.users.userIdOf(target.identityStoreId, userName);
  if (userId === undefined) {
    throw permanent(
      operation,
      `nobody in IAM Identity Center (identity store ${target.identityStoreId}) has the email or user name "${userName}"; an administrator can map this person under users: of target ${target.id}`,
    );
  }
  return {
    set,
    assignment: { instanceArn: target.instanceArn, permissionSetArn: set.arn, accountId, userId },
  };
}

async function detailOf(
  adapters: PermissionSetAdapters,
  { assignment, set }: Resolved,
): Promise<AuditDetail> {
  const accountName = await adapters.organization.nameOf(assignment.accountId).catch(() => undefined);
  return {
    account: assignment.accountId,
    ...(accountName === undefined ? {} : { accountName }),
    permissionSetName: set.name,
    permissionSetArn: set.arn,
    identityCenterUserId: assignment.userId,
  };
}

/**
 * Other live grants of the same person that need the same assignment (account, permission
 * set, user) and run after `now`: grants of any permission-set target of the same instance
 * whose set resolves to the same ARN.
 */
async function coveringGrants(
  ctx: Ctx,
  adapters: PermissionSetAdapters,
  grant: AccessRequest,
  resolved: Resolved,
  now: Date,
): Promise<AccessRequest[]> {
  const covering: AccessRequest[] = [];
  for (const other of ctx.policy.current().targets) {
    if (!isPermissionSetTarget(other) || other.instanceArn !== resolved.assignment.instanceArn) continue;
    const set = await adapters.identityCenter.permissionSet(other.instanceArn, other.permissionSet);
    if (set?.arn !== resolved.set.arn) continue;
    const live = await ctx.store.listLiveFor(grant.principal, other.id);
    covering.push(
      ...live.filter(
        (g) =>
          g.id !== grant.id &&
          isLive(g.status) &&
          g.endsAt !== undefined &&
          new Date(g.endsAt) > now &&
          accountOf(g, other) === resolved.assignment.accountId,
      ),
    );
  }
  return covering;
}

/**
 * How many times a seal whose provisioning answers FAILED is tried before the grant's end is
 * recorded with a `seal-failed` outcome (and alerted) instead of being retried forever.
 */
export const SEAL_PROVISION_ATTEMPTS = 3;

/** When the sessions of an ended grant stop being valid: its window's end, or the early end asked. */
export function sealTime(grant: AccessRequest, end: EndKind, now: Date): Date {
  const at = end === 'expire' ? grant.endsAt : grant.endRequest?.at;
  return at === undefined ? now : new Date(at);
}

/**
 * Denies the sessions of the assignment issued before `before` (see session-seal.ts) and
 * provisions the set to the account so the deny applies there. Throws a transient error while
 * provisioning runs (the end is retried); a full inline policy is reported, never blocks the end.
 */
async function sealSessions(
  ctx: Ctx,
  adapters: PermissionSetAdapters,
  grant: AccessRequest,
  { assignment, set }: Resolved,
  before: Date,
  now: Date,
): Promise<AuditDetail> {
  const { identityCenter } = adapters;
  const seal = { userId: assignment.userId, accountId: assignment.accountId, before };
  const sealed = await oneAtATime(set.arn, async () => {
    const current = await identityCenter.inlinePolicy(assignment.instanceArn, set.arn);
    const result = sealPolicy(current, seal, { now, sessionSeconds: set.sessionDurationSeconds });
    if (!result.changed || result.full) {
      if (result.changed)
        await identityCenter.putInlinePolicy(assignment.instanceArn, set.arn, result.document);
      return result;
    }
    await identityCenter.putInlinePolicy(assignment.instanceArn, set.arn, result.document);
    // Why: another process may have written the policy between our read and write; a seal
    // lost that way must not be reported done (the end is tried again).
    const written = await identityCenter.inlinePolicy(assignment.instanceArn, set.arn);
    if (!written?.includes(`"${sealSid(seal.userId, seal.accountId)}"`)) {
      throw new AwsOperationError(
        'sso:PutInlinePolicyToPermissionSet',
        'the seal was overwritten by a concurrent write',
        {
          transient: true,
        },
      );
    }
    return result;
  });
  if (sealed.full) {
    ctx.logger.warn(
      'the permission set inline policy is full: live sessions of an ended grant were not sealed',
      {
        requestId: grant.id,
        permissionSetArn: set.arn,
        account: assignment.accountId,
      },
    );
    return { sessionSeal: 'inline-policy-full' };
  }
  const provisioned = await identityCenter.provision(assignment.instanceArn, set.arn, assignment.accountId);
  if ('notProvisioned' in provisioned) return { sessionSeal: 'not-provisioned' };
  if (provisioned.status === 'FAILED') {
    const reason = `provisioning permission set ${set.name} (${set.arn}) to account ${assignment.accountId} failed: ${provisioned.failureReason ?? 'no reason given'}`;
    const attempt = (grant.sealAttempts ?? 0) + 1;
    // Why bounded: a provisioning that keeps failing must end in an alert, not in silent retries.
    if (attempt < SEAL_PROVISION_ATTEMPTS) {
      throw new SealRetryError('sso:ProvisionPermissionSet', reason, { attempt, ...receiptOf(provisioned) });
    }
    ctx.logger.warn('sealing the sessions of an ended grant failed; giving up', {
      requestId: grant.id,
      permissionSetArn: set.arn,
      account: assignment.accountId,
      attempts: attempt,
    });
    return { sessionSeal: 'seal-failed', sealAttempts: attempt, sealFailure: reason.slice(0, 500) };
  }
  if (provisioned.status !== 'SUCCEEDED') {
    throw new AwsOperationError(
      'sso:ProvisionPermissionSet',
      `provisioning ${set.name} to ${assignment.accountId} in progress (request ${provisioned.requestId})`,
      { transient: true },
    );
  }
  return { sessionSeal: 'sealed', sealedBefore: before.toISOString() };
}

/**
 * Removes the assignment of `grant` unless another live grant still needs it (the overlap rule
 * of groups, on account + permission set + user), then, when `sealBefore` is given, seals the
 * person's live sessions. Like a group's removal it checks coverage again afterwards and hands
 * an assignment removed under a covering grant to `ctx.repairs`. Throws a transient error while
 * the deletion (or the seal's provisioning) runs, so the end is tried again later.
 */
export async function removeAssignment(
  ctx: Ctx,
  adapters: PermissionSetAdapters,
  grant: AccessRequest,
  target: PermissionSetTarget,
  now: Date,
  sealBefore: Date | undefined,
): Promise<StepReceipt> {
  const resolved = await resolve(adapters, grant, target, 'sso:DeleteAccountAssignment');
  const before = await coveringGrants(ctx, adapters, grant, resolved, now);
  if (before[0])
    return { detail: { account: resolved.assignment.accountId, assignmentKeptFor: before[0].id } };
  const deleted = await adapters.identityCenter.deleteAssignment(resolved.assignment);
  if (!('gone' in deleted) && deleted.status !== 'SUCCEEDED') {
    throw new AwsOperationError(
      'sso:DeleteAccountAssignment',
      deleted.status === 'FAILED'
        ? `deleting the assignment failed: ${deleted.failureReason ?? 'no reason given'}`
        : `deletion in progress (request ${deleted.requestId})`,
      { transient: true, ...receiptOf(deleted) },
    );
  }
  const after = await coveringGrants(ctx, adapters, grant, resolved, now);
  if (after[0]) {
    const covering = after[0].id;
    try {
      await ctx.repairs.restore(covering);
    } catch (error) {
      throw new AwsOperationError(
        'restore-membership',
        `assignment of grant ${covering} not restored: ${(error as Error).message}`,
        { transient: true, cause: error },
      );
    }
    return {
      detail: {
        account: resolved.assignment.accountId,
        assignmentKeptFor: covering,
        membershipRestoreRequested: true,
      },
    };
  }
  const detail = await detailOf(adapters, resolved);
  const seal =
    sealBefore === undefined ? {} : await sealSessions(ctx, adapters, grant, resolved, sealBefore, now);
  return {
    ...('gone' in deleted ? {} : receiptOf(deleted)),
    detail: { ...detail, assignmentRemoved: !('gone' in deleted), ...seal },
    ...(seal.sessionSeal === 'seal-failed' ? { sealFailed: String(seal.sealFailure) } : {}),
  };
}

/**
 * The permission-set kind's steps: IAM Identity Center account assignments for one user in one
 * account (CreateAccountAssignment / DeleteAccountAssignment, asynchronous: each delivery
 * starts or re-reads the operation and never waits for it), and the session seal on every end.
 */
export function createPermissionSetDriver(
  adapters: PermissionSetAdapters,
): TargetDriver<PermissionSetTarget> {
  const grantAccess = async (grant: AccessRequest, target: PermissionSetTarget) => {
    const resolved = await resolve(adapters, grant, target, 'sso:CreateAccountAssignment');
    const state = await adapters.identityCenter.createAssignment(resolved.assignment);
    if (state.status === 'FAILED') {
      throw new AwsOperationError(
        'sso:CreateAccountAssignment',
        `the assignment of ${resolved.set.name} in ${resolved.assignment.accountId} failed: ${state.failureReason ?? 'no reason given'}`,
        { transient: false, ...receiptOf(state) },
      );
    }
    const detail = await detailOf(adapters, resolved);
    return { ...receiptOf(state), detail, ...(state.status === 'IN_PROGRESS' ? { inProgress: true } : {}) };
  };
  return {
    kind: PERMISSION_SET_KIND,
    grant: (_ctx, grant, target) => grantAccess(grant, target),
    end(ctx, grant, target, end, now) {
      if (!target) {
        // Why: without the instance and permission set the assignment cannot be removed; never report it gone.
        throw permanent('sso:DeleteAccountAssignment', `target ${grant.targetId} is not in the policy`);
      }
      return removeAssignment(ctx, adapters, grant, target, now, sealTime(grant, end, now));
    },
    // The end itself seals the sessions (before the end state is written), so no second pass.
    sealDue: () => false,
    seal: (ctx, ended, target) =>
      removeAssignment(
        ctx,
        adapters,
        ended,
        target,
        ctx.clock.now(),
        sealTime(ended, 'revoke', ctx.clock.now()),
      ),
    sealFailureMessage:
      'sealing a permission-set end failed; portal sessions may live up to the set session duration',
    retrySealInJob: false,
    // Activation gave no session yet worth sealing: only the assignment goes (nothing left behind).
    revert: (ctx, grant, target, now) => removeAssignment(ctx, adapters, grant, target, now, undefined),
    restore: (_ctx, grant, target) => grantAccess(grant, target),
    prune: (ctx, targets, now) => pruneSeals(ctx, adapters, targets, now),
  };
}

/** Drops the seal statements of `targets`' permission sets that can no longer deny anything. */
async function pruneSeals(
  ctx: Pick<DriverContext, 'logger'>,
  adapters: PermissionSetAdapters,
  targets: readonly PermissionSetTarget[],
  now: Date,
): Promise<number> {
  const seen = new Set<string>();
  let removed = 0;
  for (const target of targets) {
    try {
      const set = await adapters.identityCenter.permissionSet(target.instanceArn, target.permissionSet);
      if (!set || seen.has(set.arn)) continue;
      seen.add(set.arn);
      removed += await oneAtATime(set.arn, async () => {
        const current = await adapters.identityCenter.inlinePolicy(target.instanceArn, set.arn);
        const pruned = sealPolicy(current, undefined, { now, sessionSeconds: set.sessionDurationSeconds });
        if (!pruned.changed) return 0;
        await adapters.identityCenter.putInlinePolicy(target.instanceArn, set.arn, pruned.document);
        return pruned.pruned;
      });
    } catch (error) {
      ctx.logger.warn('pruning permission set seals failed', {
        targetId: target.id,
        error: (error as Error).message,
      });
    }
  }
  return removed;
}
