import type { AuditEventInput } from '../domain/audit.js';
import { isScheduledAhead } from '../domain/decision.js';
import { isOpen } from '../domain/grant-window.js';
import { isLive } from '../domain/lifecycle.js';
import type { Target } from '../domain/policy.js';
import type { TargetDriver } from '../domain/target-kind.js';
import type { AccessRequest } from '../domain/request.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { liveGrants } from './live-grants.js';

export interface DriftFinding {
  readonly targetId: string;
  readonly groupName: string;
  /** The IAM user in the group without a live grant. */
  readonly member: string;
  readonly removed: boolean;
  readonly error?: string;
}

/** A live grant whose member is missing from its group: a restore was asked for. */
export interface MissingMembership {
  readonly requestId: string;
  readonly groupName: string;
  readonly member: string;
  readonly restoreRequested: boolean;
  readonly error?: string;
}

export interface ReconcileReport {
  readonly groupsChecked: number;
  readonly findings: readonly DriftFinding[];
  /** Active grants whose membership was missing (lost to a failed repair, or removed by hand). */
  readonly missing: readonly MissingMembership[];
  /** Groups whose members could not be read (the error is logged). */
  readonly groupsFailed: number;
  /** Groups not looked at because the run's time budget was spent (the next run does them). */
  readonly groupsLeft: number;
}

export interface ReconcileOptions {
  /** Remove standing members (RECONCILE_REMOVE), or only report them. */
  readonly remove: boolean;
  /** The run's time budget: once it says stop, no further group is started. */
  readonly shouldStop?: () => boolean;
}

/**
 * The drift reconciler: compares the members of every group the policy manages with the
 * live grants, reports each member who holds no live grant (standing access the broker did
 * not grant) as `drift.detected`, and, when `remove` is set, removes them (`drift.removed`).
 *
 * Any live grant (APPROVED or ACTIVE, even overdue) covers its member: activation and the
 * sweeper own those, and the reconciler must never race them; except an approved grant whose
 * scheduled start is still ahead, which gives no access yet (see coversMember). IAM user names
 * are case-insensitive, so members and grant principals are compared lower-cased.
 *
 * The other way round, an ACTIVE grant whose window is open but whose member is not in the
 * group (a membership lost when a repair could not be queued, or removed by hand) gets a
 * restore through `deps.repairs`: the reconciler itself never adds to a group.
 *
 * The live grants are read once (one indexed pass), not once per member. A run stops
 * starting groups once its time budget is spent (`shouldStop`) and reports the ones left.
 */
export async function reconcileGroups(deps: GrantDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const groups = driftTargets(deps);
  const findings: DriftFinding[] = [];
  const missing: MissingMembership[] = [];
  const live = await liveGrantsByTarget(deps);
  let groupsFailed = 0;
  let groupsChecked = 0;
  for (const { target, drift } of groups) {
    if (options.shouldStop?.()) break;
    groupsChecked++;
    let members: readonly string[];
    let covered: Set<string>;
    let lacking: AccessRequest[];
    try {
      members = await drift.holders(target);
      const entry = live.get(target.id);
      covered = new Set(await holderKeys(drift, target, [...(entry?.principals ?? [])]));
      const present = new Set(members.map((m) => memberKey(drift, m)));
      const open = entry?.openActive ?? [];
      const openKeys = await holderKeys(
        drift,
        target,
        open.map((g) => g.principal),
      );
      lacking = open.filter((_g, i) => !present.has(openKeys[i] as string));
    } catch (error) {
      groupsFailed++;
      deps.logger.warn('reading a group failed', {
        groupName: drift.resource(target),
        error: (error as Error).message,
      });
      continue;
    }
    for (const member of members) {
      if (covered.has(memberKey(drift, member))) continue;
      findings.push(await handleDrift(deps, { target, drift }, member, options.remove));
    }
    for (const grant of new Map(lacking.map((g) => [iamKey(g.principal), g])).values()) {
      missing.push(await requestRestore(deps, drift.resource(target), grant));
    }
  }
  const groupsLeft = groups.length - groupsChecked;
  if (groupsLeft > 0) deps.logger.warn('reconcile stopped: time budget spent', { groupsLeft });
  return { groupsChecked, findings, missing, groupsFailed, groupsLeft };
}

/** A policy target whose kind can list and remove holders (drift), with that capability. */
interface DriftTarget {
  readonly target: Target;
  readonly drift: NonNullable<TargetDriver['drift']>;
}

/** The policy's targets whose kind's driver reports drift (the groups). */
function driftTargets(deps: GrantDeps): DriftTarget[] {
  return deps.policy.current().targets.flatMap((target) => {
    const drift = deps.targets.forKind(target.kind)?.drift;
    return drift ? [{ target, drift }] : [];
  });
}

/** A holder as the drift capability lists it, comparable with {@link holderKeys}. */
function memberKey(drift: DriftTarget['drift'], member: string): string {
  return drift.holderOf ? member : iamKey(member);
}

/**
 * The holders `principals` are (in order): the kind's `holderOf` when its holders are not
 * principals (Identity Center UserIds), else the lower-cased principal. A failed lookup fails
 * the whole group. Why: a member whose grant could not be mapped must never look standing.
 */
async function holderKeys(drift: DriftTarget['drift'], target: Target, principals: readonly string[]) {
  const holderOf = drift.holderOf;
  if (!holderOf) return principals.map(iamKey);
  const keys: string[] = [];
  for (const principal of principals) keys.push(await holderOf(target, principal));
  return keys;
}

/** IAM user names are case-insensitive: `Alice` and `alice` are the same user. */
function iamKey(userName: string): string {
  return userName.toLowerCase();
}

/**
 * Whether `grant` makes its member's presence in the group legitimate at `now`: any live grant
 * (activation and the sweeper own those, even overdue ones), but not one scheduled to start
 * later. Why: a member present only "because" of a grant that has not started is standing access.
 */
function coversMember(grant: AccessRequest, now: Date): boolean {
  return isLive(grant.status) && !isScheduledAhead(grant, now);
}

interface LiveByTarget {
  /** Lower-cased principals of every live grant that covers its member now (see coversMember). */
  readonly principals: Set<string>;
  /** ACTIVE grants whose window is open now: their member must be in the group. */
  readonly openActive: AccessRequest[];
}

/** The live grants by target: one indexed pass over the live grants. */
async function liveGrantsByTarget(deps: GrantDeps): Promise<Map<string, LiveByTarget>> {
  const now = deps.clock.now();
  const byTarget = new Map<string, LiveByTarget>();
  for await (const grant of liveGrants(deps.store)) {
    if (!coversMember(grant, now) || !deps.targets.forKind(grant.targetKind)?.drift) continue;
    let entry = byTarget.get(grant.targetId);
    if (entry === undefined) {
      entry = { principals: new Set(), openActive: [] };
      byTarget.set(grant.targetId, entry);
    }
    entry.principals.add(iamKey(grant.principal));
    const open =
      grant.startsAt !== undefined &&
      grant.endsAt !== undefined &&
      isOpen({ startsAt: new Date(grant.startsAt), endsAt: new Date(grant.endsAt) }, now);
    if (grant.status === 'ACTIVE' && open) entry.openActive.push(grant);
  }
  return byTarget;
}

/**
 * Whether the member holds a live grant on the target that covers them now (coversMember),
 * asked of the store directly.
 * Principals are stored as written, so both the IAM spelling and the lower-cased one are asked.
 */
async function holdsLiveGrant(
  deps: GrantDeps,
  { target, drift }: DriftTarget,
  member: string,
): Promise<boolean> {
  const targetId = target.id;
  const now = deps.clock.now();
  if (drift.holderOf) {
    // Holders are not principals here: read the target's live grants again and map them.
    for await (const grant of liveGrants(deps.store)) {
      if (grant.targetId !== targetId || !coversMember(grant, now)) continue;
      if ((await drift.holderOf(target, grant.principal)) === member) return true;
    }
    return false;
  }
  for (const principal of new Set([member, iamKey(member)])) {
    const grants = await deps.store.listLiveFor(principal, targetId);
    if (grants.some((g) => coversMember(g, now))) return true;
  }
  return false;
}

async function requestRestore(
  deps: GrantDeps,
  groupName: string,
  grant: AccessRequest,
): Promise<MissingMembership> {
  const missing = { requestId: grant.id, groupName, member: grant.principal };
  deps.logger.warn('a live grant is missing its group membership; asking for a restore', missing);
  try {
    await deps.repairs.restore(grant.id);
    return { ...missing, restoreRequested: true };
  } catch (error) {
    const message = (error as Error).message;
    deps.logger.warn('asking for a membership restore failed', { ...missing, error: message });
    return { ...missing, restoreRequested: false, error: message };
  }
}

async function handleDrift(
  deps: GrantDeps,
  { target, drift }: DriftTarget,
  member: string,
  remove: boolean,
): Promise<DriftFinding> {
  const finding = { targetId: target.id, groupName: drift.resource(target), member };
  deps.metrics.count('DriftDetected');
  await deps.audit.append(driftEvent(deps, target.id, finding.groupName, member, 'drift.detected'));
  deps.logger.warn('standing group member without a live grant', finding);
  if (!remove) return { ...finding, removed: false };
  // Why re-check: a grant approved since the first look must keep its membership.
  if (await holdsLiveGrant(deps, { target, drift }, member)) return { ...finding, removed: false };
  try {
    const receipt = await drift.remove(target, member);
    deps.metrics.count('DriftRemoved');
    await deps.audit.append(
      driftEvent(deps, target.id, finding.groupName, member, 'drift.removed', receipt.awsRequestId),
    );
    return { ...finding, removed: true };
  } catch (error) {
    const message = (error as Error).message;
    deps.logger.warn('removing a standing member failed', { ...finding, error: message });
    return { ...finding, removed: false, error: message };
  }
}

/** Drift is about no request: it is filed under a stable pseudo request id per group and member. */
function driftEvent(
  deps: GrantDeps,
  targetId: string,
  groupName: string,
  member: string,
  type: 'drift.detected' | 'drift.removed',
  awsRequestId?: string,
): AuditEventInput {
  return {
    type,
    at: deps.clock.now().toISOString(),
    actor: ACTORS.reconciler,
    subject: member,
    principal: member,
    targetId: targetId,
    requestId: `drift:${targetId}:${member}`,
    reason:
      type === 'drift.detected'
        ? `${member} is in ${groupName} without a live grant`
        : `removed ${member} from ${groupName} (no live grant)`,
    breakGlass: false,
    ...(awsRequestId === undefined ? {} : { awsRequestId }),
    detail: { groupName },
  };
}
