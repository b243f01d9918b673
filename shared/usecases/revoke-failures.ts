import type { AuditDetail } from '../domain/audit.js';
import { AwsOperationError, type SealRetryError } from '../domain/grant-ports.js';
import { dueAt, type AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';

/**
 * Failure recording of the ending side: a failed end or seal is counted (`RevokeFailures`,
 * which the infrastructure alarms on), written to the trail (`grant.revoke-failed`) and,
 * when due, alerted (`revoke-failing`). Nothing here throws: it runs on the failure path.
 */

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a seal after the end state is written. A failure never undoes the end (the grant is
 * over), but it may leave a session or a membership behind, so it is recorded like a failed
 * revoke: `RevokeFailures`, a `grant.revoke-failed` event with `stage: 'seal'`, and a
 * `revoke-failing` notification. Returns the error message, or undefined when sealed.
 */
export async function sealSafely(
  deps: GrantDeps,
  ended: AccessRequest,
  failureMessage: string,
  seal: () => Promise<unknown>,
): Promise<string | undefined> {
  try {
    await seal();
    return undefined;
  } catch (error) {
    await recordSealFailure(deps, ended, error, { actor: ACTORS.worker, alert: true, failureMessage });
    return errorMessage(error);
  }
}

/** Appends a `grant.revoke-failed` event. Never throws: it runs on the failure path. */
async function appendRevokeFailed(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: { readonly actor: string; readonly at: Date; readonly detail: AuditDetail },
): Promise<void> {
  const awsRequestId = error instanceof AwsOperationError ? error.awsRequestId : undefined;
  try {
    await deps.audit.append(
      auditOf(grant, 'grant.revoke-failed', {
        at: input.at,
        actor: input.actor,
        reason: errorMessage(error).slice(0, 500),
        ...(awsRequestId === undefined ? {} : { awsRequestId }),
        detail: input.detail,
      }),
    );
  } catch (auditError) {
    deps.logger.warn('recording a failed revoke failed', {
      requestId: grant.id,
      error: (auditError as Error).message,
    });
  }
}

/** Records a failed seal (see sealSafely); `failureMessage` is the kind's (TargetDriver). Never throws. */
export async function recordSealFailure(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: {
    readonly actor: string;
    readonly alert: boolean;
    readonly failureMessage: string;
    readonly attempt?: number;
  },
): Promise<void> {
  const message = errorMessage(error);
  deps.metrics.count('RevokeFailures');
  deps.logger.warn(input.failureMessage, { requestId: grant.id, error: message });
  await appendRevokeFailed(deps, grant, error, {
    actor: input.actor,
    at: deps.clock.now(),
    detail: { stage: 'seal', ...(input.attempt === undefined ? {} : { attempt: input.attempt }) },
  });
  if (input.alert) await deps.events.publish({ kind: 'revoke-failing', request: grant, error: message });
}

/** How long `grant` has been due (see dueAt) at `now`, in whole seconds; 0 when not yet. */
export function overdueSeconds(grant: Pick<AccessRequest, 'endsAt' | 'endRequest'>, now: Date): number {
  const due = dueAt(grant);
  return due === undefined ? 0 : Math.max(0, Math.floor((now.getTime() - Date.parse(due)) / 1000));
}

/** Sends the `revoke-failing` notification at most about twice per hour of failure. */
export function revokeAlertDue(overdueSeconds: number): boolean {
  return overdueSeconds % 3600 < 120;
}

/**
 * Records a failed attempt to end a grant: an audit event (grant.revoke-failed), the
 * `RevokeFailures` metric the infrastructure alarms on, and, when `alert` says so, a
 * `revoke-failing` notification. Never throws: it runs on the failure path.
 */
export async function recordRevokeFailure(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: { readonly actor: string; readonly alert: boolean; readonly attempt?: number },
): Promise<void> {
  const now = deps.clock.now();
  const message = errorMessage(error);
  deps.metrics.count('RevokeFailures');
  deps.logger.warn('revoke failed; the grant stays live and is retried', {
    requestId: grant.id,
    error: message,
  });
  await appendRevokeFailed(deps, grant, error, {
    actor: input.actor,
    at: now,
    detail: {
      overdueSeconds: overdueSeconds(grant, now),
      ...(input.attempt === undefined ? {} : { attempt: input.attempt }),
    },
  });
  if (input.alert) await deps.events.publish({ kind: 'revoke-failing', request: grant, error: message });
}

/**
 * Records a failed seal attempt the driver will retry a bounded number of times (see
 * SealRetryError): the attempt is written on the grant (`sealAttempts`) with its
 * `grant.revoke-failed` event in one conditional write, and counted in `RevokeFailures`; no
 * alert yet (the driver's last attempt ends the grant, and that is alerted). When the grant
 * changed meanwhile, the failure is recorded without the count (the next run counts again).
 * Never throws: it runs on the failure path.
 */
export async function recordSealRetry(
  deps: GrantDeps,
  grant: AccessRequest,
  error: SealRetryError,
  input: { readonly actor: string },
): Promise<void> {
  const now = deps.clock.now();
  const message = errorMessage(error);
  try {
    const written = await deps.store.annotate(grant, {
      at: now,
      changes: { sealAttempts: error.attempt },
      audit: auditOf(grant, 'grant.revoke-failed', {
        at: now,
        actor: input.actor,
        reason: message.slice(0, 500),
        ...(error.awsRequestId === undefined ? {} : { awsRequestId: error.awsRequestId }),
        detail: { stage: 'seal', attempt: error.attempt, overdueSeconds: overdueSeconds(grant, now) },
      }),
    });
    if (written.ok) {
      deps.metrics.count('RevokeFailures');
      deps.logger.warn('sealing an ended grant failed; retried', {
        requestId: grant.id,
        attempt: error.attempt,
        error: message,
      });
      return;
    }
  } catch (annotateError) {
    deps.logger.warn('recording a seal attempt failed', {
      requestId: grant.id,
      error: (annotateError as Error).message,
    });
  }
  await recordRevokeFailure(deps, grant, error, { actor: input.actor, alert: false, attempt: error.attempt });
}
