import { NotFoundError } from '../domain/errors.js';
import { isLive } from '../domain/lifecycle.js';
import { canonicalPersonKey, personKey, type ResolvedPerson } from '../domain/person.js';
import type { AccessRequest } from '../domain/request.js';
import {
  decideRevoke,
  decideRevokeAll,
  isSecurity,
  type RevokeAllRefusal,
  type RevokeRefusal,
  type RevokeRole,
} from '../domain/revocation.js';
import type { RequestDeps } from './deps.js';
import { liveGrants } from './live-grants.js';
import { requestEarlyEnd } from './release-grant.js';
import { refusedOutcome, type RefusedOutcome } from './refusals.js';

/**
 * Revoking someone else's grant (an approver of its target, or the security set), one grant or
 * all of a person's at once. Like a release, the end is stored on the grant first and handed to
 * the grant worker (requestEarlyEnd): the worker removes the access, seals live sessions like any
 * early end, writes REVOKED with `grant.revoked` (actor and reason), and the holder is told who
 * and why. The stored request makes the sweeper drive the end if every job fails.
 */

type RevokeDeps = Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'logger' | 'policy'>;

export type RevokeResult =
  | RefusedOutcome<RevokeRefusal>
  | { readonly outcome: 'requested'; readonly request: AccessRequest; readonly as: RevokeRole };

/**
 * Whether `revoker` may revoke grant `requestId`, before asking them why (the Slack button
 * checks this before opening the reason form). Throws NotFoundError for an unknown grant.
 */
export async function prepareRevoke(
  deps: Pick<RequestDeps, 'store' | 'policy'>,
  input: { readonly requestId: string; readonly revoker: ResolvedPerson },
): Promise<RefusedOutcome<RevokeRefusal> | { readonly outcome: 'allowed'; readonly grant: AccessRequest }> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
  const decision = decideRevoke(deps.policy.current(), grant, input.revoker);
  return decision.allowed ? { outcome: 'allowed', grant } : refusedOutcome(decision);
}

/**
 * Revokes one live grant with a reason. Refused (nothing written) unless decideRevoke allows;
 * idempotent like a release: a grant whose end was already asked keeps the first request.
 * A revoker who holds the grant themselves releases it (the trail says `release`).
 */
export async function revokeAccess(
  deps: RevokeDeps,
  input: { readonly requestId: string; readonly revoker: ResolvedPerson; readonly reason: string },
): Promise<RevokeResult> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
  const decision = decideRevoke(deps.policy.current(), grant, input.revoker, input.reason);
  if (!decision.allowed) return refusedOutcome(decision);
  const by = personKey(input.revoker.person);
  const request = await requestEarlyEnd(deps, grant.id, {
    kind: by === grant.requester ? 'release' : 'revoke',
    by,
    reason: input.reason.trim(),
  });
  return { outcome: 'requested', request, as: decision.as };
}

export type RevokeAllResult =
  | RefusedOutcome<RevokeAllRefusal>
  | { readonly outcome: 'requested'; readonly revoked: readonly AccessRequest[] };

/** How many of a person's requests one index page reads. */
const PAGE_SIZE = 100;

/**
 * Incident response: ends every live grant `holder` has (only those on `targetId` when given),
 * by the security set only, with one reason. Reads the holder's requests through the
 * by-requester index page by page (never a scan); each grant is ended like revokeAccess.
 */
export async function revokeAllAccess(
  deps: RevokeDeps,
  input: {
    readonly holder: string;
    readonly targetId?: string;
    readonly revoker: ResolvedPerson;
    readonly reason: string;
  },
): Promise<RevokeAllResult> {
  const decision = decideRevokeAll(deps.policy.current(), input.revoker, input.reason);
  if (!decision.allowed) return refusedOutcome(decision);
  const by = personKey(input.revoker.person);
  const reason = input.reason.trim();
  const revoked: AccessRequest[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listByRequester(
      input.holder,
      cursor === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, cursor },
    );
    for (const grant of page.items) {
      if (!isLive(grant.status)) continue;
      if (input.targetId !== undefined && grant.targetId !== input.targetId) continue;
      revoked.push(
        await requestEarlyEnd(deps, grant.id, {
          kind: by === grant.requester ? 'release' : 'revoke',
          by,
          reason,
        }),
      );
    }
    cursor = page.cursor;
  } while (cursor);
  return { outcome: 'requested', revoked };
}

/**
 * Incident response by whatever name the responder has (the CLI's `--person`): `person` is a
 * person (`U…`, `slack:U…`, `cli:arn:…`, `oidc:…`), or the AWS identity their grants are held as
 * (the email, lower-cased, or the policy's identity name). An AWS identity is matched against
 * the live grants' principals (live-by-end index, never a scan); each holder found is ended like
 * revokeAllAccess. Refused before any lookup unless decideRevokeAll allows.
 */
export async function revokeAllAccessOf(
  deps: RevokeDeps,
  input: {
    readonly person: string;
    readonly targetId?: string;
    readonly revoker: ResolvedPerson;
    readonly reason: string;
  },
): Promise<RevokeAllResult> {
  const decision = decideRevokeAll(deps.policy.current(), input.revoker, input.reason);
  // Why first: who holds what is not for anyone outside the security set to learn.
  if (!decision.allowed) return refusedOutcome(decision);
  const key = canonicalPersonKey(input.person.trim());
  const holders = key === undefined ? await holdersByPrincipal(deps.store, input.person) : [key];
  const revoked: AccessRequest[] = [];
  for (const holder of holders) {
    const result = await revokeAllAccess(deps, {
      holder,
      ...(input.targetId === undefined ? {} : { targetId: input.targetId }),
      revoker: input.revoker,
      reason: input.reason,
    });
    if (result.outcome === 'requested') revoked.push(...result.revoked);
  }
  return { outcome: 'requested', revoked };
}

/** The persons holding a live grant as AWS identity `principal` (compared lower-cased, as IAM does). */
async function holdersByPrincipal(
  store: RequestDeps['store'],
  principal: string,
): Promise<readonly string[]> {
  const wanted = principal.trim().toLowerCase();
  const holders = new Set<string>();
  for await (const grant of liveGrants(store)) {
    if (grant.principal.toLowerCase() === wanted) holders.add(grant.requester);
  }
  return [...holders];
}

/** How many live grants a security member's Home tab lists (Slack allows 100 blocks). */
export const REVOCABLE_LIST_LIMIT = 20;

/** The live grants a security member may revoke: the newest `grants`, and how many more there are. */
export interface RevocableGrants {
  readonly grants: readonly AccessRequest[];
  /** Live grants beyond the list (the Home tab says "and N more"). */
  readonly more: number;
}

/** Newest first: the latest start (the approval, for a grant not started), then the latest id. */
function newestFirst(a: AccessRequest, b: AccessRequest): number {
  const started = (g: AccessRequest) => g.startsAt ?? g.decidedAt ?? g.createdAt;
  return started(b).localeCompare(started(a)) || b.id.localeCompare(a.id);
}

/**
 * The live grants a security member may revoke, newest first, for their Home tab: at most
 * `limit`, with the count of the others; none for anyone else. Reads the live-by-end index
 * (never a scan), all of it, to count and to find the newest.
 */
export async function listRevocableGrants(
  deps: Pick<RequestDeps, 'store' | 'policy'>,
  person: ResolvedPerson,
  limit = REVOCABLE_LIST_LIMIT,
): Promise<RevocableGrants> {
  // Why: everyone's grants (who holds what) are shown to the security set only.
  if (!isSecurity(deps.policy.current(), person)) return { grants: [], more: 0 };
  const all: AccessRequest[] = [];
  for await (const grant of liveGrants(deps.store)) all.push(grant);
  all.sort(newestFirst);
  return { grants: all.slice(0, limit), more: Math.max(0, all.length - limit) };
}

/** Whether `revoker` may end all of a person's grants, before asking them why (/revoke-access). */
export function prepareRevokeAll(
  deps: Pick<RequestDeps, 'policy'>,
  revoker: ResolvedPerson,
): RefusedOutcome<RevokeAllRefusal> | { readonly outcome: 'allowed' } {
  const decision = decideRevokeAll(deps.policy.current(), revoker);
  return decision.allowed ? { outcome: 'allowed' } : refusedOutcome(decision);
}
