import { decideCredentials } from '../domain/decision.js';
import type { MintedCredentials } from '../domain/target-kind.js';
import type { GrantJob, IssuedCredentials } from '../domain/ports.js';
import { ValidationError } from '../domain/errors.js';
import { auditOf } from './audit-events.js';
import type { GrantDeps } from './grant-deps.js';

export type IssueCredentialsJob = Extract<GrantJob, { kind: 'issue-credentials' }>;

export type IssueCredentialsResult =
  | {
      readonly outcome: 'issued';
      readonly durationSeconds: number;
      /** Set when the console link could not be made (the CLI credentials were still delivered). */
      readonly consoleLinkError?: string;
    }
  | { readonly outcome: 'refused'; readonly message: string }
  | { readonly outcome: 'failed'; readonly message: string };

const UNAVAILABLE = 'AWS did not issue credentials just now. Please try again in a minute.';

/**
 * "Get credentials" for an ACTIVE grant of a kind that issues them (a role): its driver mints
 * a session on demand and the console link and CLI credentials go to the requester,
 * privately, through CredentialsDelivery.
 *
 * Invariants:
 * - only the grant's requester gets credentials, only while the grant is ACTIVE, its window
 *   open and its target still a role in the policy (decideCredentials);
 * - a role session (shared/targets/role/driver.ts) carries SourceIdentity = the requester's AWS identity, session tags (grant,
 *   requester), a RoleSessionName naming both, a duration no longer than what remains
 *   (within STS's minimum and the role's maximum) and a session policy that stops it at the
 *   grant's end to the second;
 * - credentials are never stored, logged or put in the audit trail (only that a session
 *   was issued, with the AWS request id);
 * - a grant revoked while the session was being minted gets no credentials;
 * - whatever STS issued is audited (`session.issued`) and delivered: the console link is
 *   best-effort, and when the federation endpoint fails the CLI credentials still go out
 *   with a note saying the link is unavailable.
 * Failures are told to the requester in the same modal; the job is not retried (they can
 * ask again).
 */
export async function issueCredentials(
  deps: GrantDeps,
  job: IssueCredentialsJob,
): Promise<IssueCredentialsResult> {
  const refuse = async (message: string): Promise<IssueCredentialsResult> => {
    await deps.delivery.deliverFailure(job, message);
    return { outcome: 'refused', message };
  };
  const grant = await deps.store.get(job.requestId);
  if (!grant) return refuse('This grant does not exist.');
  const now = deps.clock.now();
  const allowed = decideCredentials(deps.policy.current(), grant, job.requester, now);
  if (!allowed.allowed) return refuse(allowed.message);
  const { target, window } = allowed;

  const credentials = deps.targets.forKind(grant.targetKind)?.credentials;
  if (!credentials) return refuse('This grant has no session credentials.');
  let minted;
  try {
    minted = await credentials.mint(grant, target, window, now);
  } catch (error) {
    // The window closed between the decision and the minting.
    if (error instanceof ValidationError) return refuse(error.message);
    // The error names the operation only; credentials never reach a log line.
    deps.logger.warn('issuing credentials failed', { requestId: grant.id, error: (error as Error).message });
    await deps.delivery.deliverFailure(job, UNAVAILABLE);
    return { outcome: 'failed', message: UNAVAILABLE };
  }
  const { durationSeconds } = minted;
  // Why best-effort: STS has issued the session; withholding it for a missing link helps nobody.
  const consoleLink = await consoleLinkFor(deps, grant.id, minted);
  // Why: a revoke may have landed while STS was minting; undelivered credentials are harmless.
  const latest = await deps.store.get(grant.id);
  if (latest?.status !== 'ACTIVE') {
    return refuse(`This grant is ${latest?.status ?? 'gone'}; no credentials can be issued.`);
  }
  // Why first: no credentials leave the broker unless the trail already says they were issued.
  await deps.audit.append(
    auditOf(grant, 'session.issued', {
      at: now,
      actor: job.requester,
      ...(minted.awsRequestId === undefined ? {} : { awsRequestId: minted.awsRequestId }),
      detail: { ...minted.detail, consoleLink: consoleLink.consoleUrl !== undefined },
    }),
  );
  await deps.delivery.deliver(job, grant, { ...minted.credentials, ...consoleLink });
  deps.metrics.count('SessionsIssued');
  deps.logger.info('session issued', {
    requestId: grant.id,
    durationSeconds,
    consoleLink: consoleLink.consoleUrl === undefined ? 'unavailable' : 'made',
  });
  return {
    outcome: 'issued',
    durationSeconds,
    ...(consoleLink.consoleLinkError === undefined ? {} : { consoleLinkError: consoleLink.consoleLinkError }),
  };
}

/** Said to the requester when the federation endpoint gave no sign-in link. */
export const CONSOLE_LINK_UNAVAILABLE =
  'The AWS sign-in service did not answer, so there is no console link this time; the CLI credentials work. Ask again for a link.';

/** The console sign-in link, or why there is none: never a reason to withhold the CLI credentials. */
async function consoleLinkFor(
  deps: GrantDeps,
  requestId: string,
  minted: Pick<MintedCredentials, 'credentials' | 'partition'>,
): Promise<Pick<IssuedCredentials, 'consoleUrl' | 'consoleLinkError'>> {
  try {
    const options = minted.partition === undefined ? {} : { partition: minted.partition };
    return { consoleUrl: await deps.consoleLinks.signInUrl(minted.credentials, options) };
  } catch (error) {
    // The error names the endpoint only (the sign-in URL holds the credentials).
    deps.logger.warn('console sign-in link failed; CLI credentials delivered without it', {
      requestId,
      error: (error as Error).message,
    });
    return { consoleLinkError: CONSOLE_LINK_UNAVAILABLE };
  }
}
