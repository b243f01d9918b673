import {
  decideExtension,
  decideRequest,
  type ExtensionRefusal,
  type RefusalReason,
} from '../domain/decision.js';
import { NotFoundError } from '../domain/errors.js';
import { decideGraceExtension, type GraceRefusal } from '../domain/grant-timing.js';
import { findTarget, type Target } from '../domain/policy.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import { newRequest, type AccessRequest } from '../domain/request.js';
import { approveAutomatically, AUTOMATIC_APPROVERS } from './approve-request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';
import { refusedOutcome, type RefusedOutcome } from './refusals.js';
import { retryOnConflict } from './retry-on-conflict.js';

export type GraceExtensionResult =
  | { readonly outcome: 'approved'; readonly request: AccessRequest; readonly original: AccessRequest }
  /** Not the holder's live grant: nothing to extend. */
  | RefusedOutcome<ExtensionRefusal>
  /**
   * Beyond the grace budget (or none, or the grant's rules refuse it): what the holder may do
   * instead is a normal extension, decided by the approvers (the Extend form of `original`).
   */
  | (RefusedOutcome<GraceRefusal | RefusalReason> & {
      readonly original: AccessRequest;
      readonly target?: Target;
    });

/**
 * The one-tap "Extend" of the expiry warning: a grace extension of the holder's live grant by
 * the target's `graceExtension.max`, auto-approved (audited as approved by
 * `system:grace-extension`) when decideGraceExtension allows it, else refused with the reason
 * so the caller can offer a normal extension to the approvers instead.
 *
 * - Exactly once: the grant extended is marked (`graceExtendedBy`, with its audit event) by a
 *   write conditional on the version read before the extension is created; a second tap, a
 *   retry or a race loses that write, decides again and is refused (`grace-used`).
 * - No gap: the extension is a grant of its own whose window opens now and runs on from the
 *   grant's end (windowOnApproval); the end of the first never removes what the second covers.
 * - The extension carries the grant's reason and ticket: it is the same work, a little longer.
 */
export async function extendWithGrace(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly requester: ResolvedPerson; readonly principal: string },
): Promise<GraceExtensionResult> {
  const policy = deps.policy.current();
  const holder = personKey(input.requester.person);
  const read = async () => {
    const grant = await deps.store.get(input.requestId);
    if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
    return grant;
  };
  let id: string | undefined;
  const marked = await retryOnConflict<
    { readonly now: Date; readonly durationSeconds: number },
    | GraceExtensionResult
    | {
        readonly outcome: 'marked';
        readonly original: AccessRequest;
        readonly read: AccessRequest;
        readonly durationSeconds: number;
      }
  >({
    read,
    decide: (original) => {
      const holderCheck = decideExtension(original, holder);
      if (!holderCheck.allowed) return { done: refusedOutcome(holderCheck) };
      const target = findTarget(policy, original.targetId);
      const now = deps.clock.now();
      const durationSeconds = target?.graceExtension?.maxSeconds ?? 0;
      const grace = decideGraceExtension(target, original, durationSeconds, now);
      if (!grace.allowed)
        return { done: { ...refusedOutcome(grace), original, ...(target ? { target } : {}) } };
      // The extension must also be one the holder may request (eligibility, reason, ticket).
      const request = decideRequest(policy, {
        requester: input.requester,
        targetId: original.targetId,
        durationSeconds,
        reason: original.reason,
        ...(original.ticket === undefined ? {} : { ticket: original.ticket }),
      });
      if (!request.allowed)
        return { done: { ...refusedOutcome(request), original, ...(target ? { target } : {}) } };
      return { write: { now, durationSeconds } };
    },
    write: (original, { now, durationSeconds }) => {
      id ??= deps.ids.newId(now);
      return deps.store.annotate(original, {
        at: now,
        changes: { graceExtendedBy: id },
        audit: auditOf(original, 'grant.grace-extended', {
          at: now,
          actor: holder,
          detail: { extensionId: id, durationSeconds },
        }),
      });
    },
    committed: (written, { durationSeconds }, original) => ({
      outcome: 'marked',
      original: written,
      read: original,
      durationSeconds,
    }),
    exhausted: async () => {
      const original = await read();
      return {
        outcome: 'refused',
        reason: 'grace-used',
        message: 'This grant kept changing; try again.',
        original,
      };
    },
  });
  if (marked.outcome !== 'marked') return marked;
  const { original, durationSeconds } = marked;
  const now = deps.clock.now();
  const request = newRequest({
    id: id as string,
    at: now,
    requester: holder,
    principal: input.principal,
    targetId: original.targetId,
    targetKind: original.targetKind,
    // Why: a grant of one account (a permission set) is extended in that account only.
    ...(original.account === undefined ? {} : { accounts: [original.account] }),
    durationSeconds,
    reason: original.reason,
    ...(original.ticket === undefined ? {} : { ticket: original.ticket }),
    approvalsRequired: 0,
    extendsRequestId: original.id,
    grace: true,
    ...((original.chainStartsAt ?? original.startsAt)
      ? { chainStartsAt: (original.chainStartsAt ?? original.startsAt) as string }
      : {}),
  });
  const created = await deps.store.create(
    request,
    auditOf(request, 'request.submitted', {
      at: now,
      actor: holder,
      to: 'PENDING',
      initial: true,
      detail: { durationSeconds, decision: 'grace-extension', extendsRequestId: original.id },
    }),
  );
  const approved = await approveAutomatically(deps, created.request, AUTOMATIC_APPROVERS.graceExtension);
  return { outcome: 'approved', request: approved, original };
}
