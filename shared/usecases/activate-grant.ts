import { NotFoundError } from '../domain/errors.js';
import { AwsOperationError } from '../domain/grant-ports.js';
import { findTarget, type Target } from '../domain/policy.js';
import type { AccessRequest } from '../domain/request.js';
import type { StepReceipt, TargetDriver } from '../domain/target-kind.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { retryOnConflict } from './retry-on-conflict.js';

export type ActivateResult =
  | { readonly outcome: 'activated'; readonly request: AccessRequest }
  /** Not (or no longer) APPROVED: already active, revoked or failed. Nothing was done. */
  | { readonly outcome: 'skipped'; readonly request: AccessRequest }
  /** A scheduled grant whose start has not come: the sweeper hands it over again at its start. */
  | { readonly outcome: 'not-started'; readonly request: AccessRequest }
  /** The window closed before activation; the sweeper cleans it up. */
  | { readonly outcome: 'window-closed'; readonly request: AccessRequest }
  | { readonly outcome: 'failed'; readonly request: AccessRequest; readonly reason: string };

/**
 * Activates an APPROVED grant (approved, auto-approved or break-glass): does the AWS side,
 * moves it to ACTIVE and tells the requester.
 *
 * - The AWS side is the kind's driver `grant` step (a group: `AddUserToGroup`, idempotent; a
 *   role: nothing to set up, its sessions are minted on demand inside the window). An
 *   asynchronous kind that reports provisioning in progress is asked again on a later
 *   delivery (transient), never waited for.
 * - Retries: a transient AWS failure is rethrown so the queue delivers the job again later
 *   (with backoff); on attempt `maxAttempts`, or at once for a permanent failure, the grant
 *   becomes FAILED with the reason, the `GrantFailures` metric and a grant-failed notice.
 * - Safe to repeat: a redelivered job finds the grant ACTIVE and does nothing. If the grant
 *   was revoked while the access was being added, the driver takes it away again (`revert`).
 */
export async function activateGrant(
  deps: GrantDeps,
  input: { readonly requestId: string; readonly attempt: number; readonly maxAttempts: number },
): Promise<ActivateResult> {
  return retryOnConflict<Activation, ActivateResult>({
    read: async () => {
      const grant = await deps.store.get(input.requestId);
      if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
      return grant;
    },
    decide: async (grant) => {
      // Why: an end already requested must not be undone by adding the access now.
      if (grant.status !== 'APPROVED' || grant.endRequest)
        return { done: { outcome: 'skipped', request: grant } };
      const now = deps.clock.now();
      if (grant.endsAt === undefined || new Date(grant.endsAt) <= now) {
        return { done: { outcome: 'window-closed', request: grant } };
      }
      // Why: a scheduled grant gives no access before its start, whoever sends the job early.
      if (grant.startsAt !== undefined && new Date(grant.startsAt) > now) {
        return { done: { outcome: 'not-started', request: grant } };
      }
      const target = findTarget(deps.policy.current(), grant.targetId);
      if (!target || target.kind !== grant.targetKind) {
        return {
          done: await fail(
            deps,
            grant,
            `target ${grant.targetId} is not (or no longer) in the access policy`,
          ),
        };
      }
      const driver = deps.targets.forKind(grant.targetKind);
      if (!driver) return { done: await fail(deps, grant, `no driver for target kind ${grant.targetKind}`) };
      let receipt: StepReceipt & { readonly inProgress?: boolean };
      try {
        receipt = await driver.grant(deps, grant, target);
      } catch (error) {
        const transient = !(error instanceof AwsOperationError) || error.transient;
        if (transient && input.attempt < input.maxAttempts) throw error;
        return { done: await fail(deps, grant, (error as Error).message) };
      }
      if (receipt.inProgress) {
        // An asynchronous kind (see TargetKind.activation): the job comes back after the queue's
        // delay and asks again; the grant stays APPROVED until AWS confirms.
        throw new AwsOperationError('activateGrant', `grant ${grant.id}: provisioning in progress`, {
          transient: true,
        });
      }
      return { write: { now, endsAt: grant.endsAt, target, driver, receipt } };
    },
    write: (grant, { now, endsAt, receipt }) =>
      deps.store.transition(grant, {
        to: 'ACTIVE',
        at: now,
        audit: auditOf(grant, 'grant.activated', {
          at: now,
          actor: ACTORS.worker,
          to: 'ACTIVE',
          ...(receipt.awsRequestId === undefined ? {} : { awsRequestId: receipt.awsRequestId }),
          detail: { endsAt, ...receipt.detail },
        }),
      }),
    committed: async (active, _activation, grant) => {
      deps.metrics.count('GrantsActivated');
      deps.logger.info('grant activated', { requestId: grant.id, targetId: grant.targetId });
      await deps.events.publish({ kind: 'grant-active', request: active });
      return { outcome: 'activated', request: active };
    },
    conflict: async (current, { target, driver }) => {
      if (current.status === 'APPROVED') return 'retry'; // only annotated meanwhile: try again
      if (current.status !== 'ACTIVE') {
        // Why: revoked (or failed) while we were adding; the access we added must go.
        await driver.revert(deps, current, target, deps.clock.now());
      }
      return { done: { outcome: 'skipped', request: current } };
    },
    exhausted: () =>
      Promise.reject(
        new AwsOperationError('activateGrant', `grant ${input.requestId} kept changing; will retry`, {
          transient: true,
        }),
      ),
  });
}

/** What an activation writes: the access added by the driver, and its receipt. */
interface Activation {
  readonly now: Date;
  /** The window's end, as checked before adding the access. */
  readonly endsAt: string;
  readonly target: Target;
  readonly driver: TargetDriver;
  readonly receipt: StepReceipt;
}

/**
 * APPROVED → FAILED with the reason. A membership an earlier attempt may have added is
 * removed first (best effort: the reconciler reports whatever is left).
 */
async function fail(deps: GrantDeps, grant: AccessRequest, reason: string): Promise<ActivateResult> {
  const now = deps.clock.now();
  const target = findTarget(deps.policy.current(), grant.targetId);
  const driver = deps.targets.forKind(grant.targetKind);
  if (driver && target?.kind === grant.targetKind) {
    try {
      await driver.revert(deps, grant, target, now);
    } catch (error) {
      deps.logger.warn('cleaning up a failed grant failed', {
        requestId: grant.id,
        error: (error as Error).message,
      });
    }
  }
  const failureReason = reason.slice(0, 500);
  const result = await deps.store.transition(grant, {
    to: 'FAILED',
    at: now,
    changes: { failureReason },
    audit: auditOf(grant, 'grant.failed', {
      at: now,
      actor: ACTORS.worker,
      to: 'FAILED',
      reason: failureReason,
    }),
  });
  if (!result.ok) return { outcome: 'skipped', request: result.current };
  deps.metrics.count('GrantFailures');
  deps.logger.warn('grant failed', { requestId: grant.id, reason: failureReason });
  await deps.events.publish({ kind: 'grant-failed', request: result.request });
  return { outcome: 'failed', request: result.request, reason: failureReason };
}
