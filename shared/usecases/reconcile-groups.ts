import type { AuditEventInput } from '../domain/audit.js';
import { isLive } from '../domain/lifecycle.js';
import type { GroupTarget } from '../domain/policy.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';

export interface DriftFinding {
  readonly targetId: string;
  readonly groupName: string;
  /** The IAM user in the group without a live grant. */
  readonly member: string;
  readonly removed: boolean;
  readonly error?: string;
}

export interface ReconcileReport {
  readonly groupsChecked: number;
  readonly findings: readonly DriftFinding[];
  /** Groups whose members could not be read (the error is logged). */
  readonly groupsFailed: number;
}

/**
 * The drift reconciler: compares the members of every group the policy manages with the
 * live grants, reports each member who holds no live grant (standing access the broker did
 * not grant) as `drift.detected`, and, when `remove` is set, removes them (`drift.removed`).
 *
 * Any live grant (APPROVED or ACTIVE, even overdue) covers its member: activation and the
 * sweeper own those, and the reconciler must never race them.
 */
export async function reconcileGroups(
  deps: GrantDeps,
  options: { readonly remove: boolean },
): Promise<ReconcileReport> {
  const groups = deps.policy.current().targets.filter((t): t is GroupTarget => t.kind === 'group');
  const findings: DriftFinding[] = [];
  let groupsFailed = 0;
  for (const target of groups) {
    let members: readonly string[];
    try {
      members = await deps.groups.listMembers(target.groupName);
    } catch (error) {
      groupsFailed++;
      deps.logger.warn('reading a group failed', {
        groupName: target.groupName,
        error: (error as Error).message,
      });
      continue;
    }
    for (const member of members) {
      const live = (await deps.store.listLiveFor(member, target.id)).filter((g) => isLive(g.status));
      if (live.length > 0) continue;
      findings.push(await handleDrift(deps, target, member, options.remove));
    }
  }
  return { groupsChecked: groups.length, findings, groupsFailed };
}

async function handleDrift(
  deps: GrantDeps,
  target: GroupTarget,
  member: string,
  remove: boolean,
): Promise<DriftFinding> {
  const finding = { targetId: target.id, groupName: target.groupName, member };
  deps.metrics.count('DriftDetected');
  await deps.audit.append(driftEvent(deps, target, member, 'drift.detected'));
  deps.logger.warn('standing group member without a live grant', finding);
  if (!remove) return { ...finding, removed: false };
  // Why re-check: a grant approved since the first look must keep its membership.
  const live = (await deps.store.listLiveFor(member, target.id)).filter((g) => isLive(g.status));
  if (live.length > 0) return { ...finding, removed: false };
  try {
    const receipt = await deps.groups.remove(target.groupName, member);
    deps.metrics.count('DriftRemoved');
    await deps.audit.append(driftEvent(deps, target, member, 'drift.removed', receipt.awsRequestId));
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
  target: GroupTarget,
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
    targetId: target.id,
    requestId: `drift:${target.id}:${member}`,
    reason:
      type === 'drift.detected'
        ? `${member} is in ${target.groupName} without a live grant`
        : `removed ${member} from ${target.groupName} (no live grant)`,
    breakGlass: false,
    ...(awsRequestId === undefined ? {} : { awsRequestId }),
    detail: { groupName: target.groupName },
  };
}
