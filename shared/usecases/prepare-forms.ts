import {
  accountProblem,
  breakGlassTargets,
  decideDenial,
  decideExtension,
  type ApprovalRefusal,
  type BreakGlassChoiceRefusal,
  type ExtensionRefusal,
} from '../domain/decision.js';
import type { NamedAccount } from '../domain/account-directory.js';
import type { ResolvedPerson } from '../domain/person.js';
import { findTarget, type Target } from '../domain/policy.js';
import type { AccessRequest } from '../domain/request.js';
import type { RequestDeps } from './deps.js';

/**
 * What a person may open a form for, and what goes in it. These read a request or the policy
 * and write nothing: the form's submission is decided again by its own use case (a form
 * opened a minute ago proves nothing). Listeners render the answer.
 */

/** A form that may not open: why, and what to tell the person. */
export interface FormRefusal<R extends string> {
  readonly outcome: 'refused';
  readonly reason: R;
  readonly message: string;
}

function refused<R extends string>(reason: R, message: string): FormRefusal<R> {
  return { outcome: 'refused', reason, message };
}

/**
 * The Deny button: the request to deny, when `approver` may deny it (decideDenial: any
 * approver of its rule, while it is PENDING); else the refusal.
 */
export async function prepareDenial(
  deps: Pick<RequestDeps, 'store' | 'policy'>,
  input: { readonly requestId: string; readonly approver: ResolvedPerson },
): Promise<
  { readonly outcome: 'ready'; readonly request: AccessRequest } | FormRefusal<ApprovalRefusal | 'not-found'>
> {
  const request = await deps.store.get(input.requestId);
  if (!request) return refused('not-found', 'This request no longer exists.');
  const allowed = decideDenial(deps.policy.current(), request, input.approver);
  if (!allowed.allowed) return refused(allowed.reason, allowed.message);
  return { outcome: 'ready', request };
}

/**
 * The Extend button: the grant and its target, when `requester` may ask for more time on it
 * (decideExtension: only the holder, only while it is live, and its target still in the policy).
 */
export async function prepareExtension(
  deps: Pick<RequestDeps, 'store' | 'policy'>,
  input: { readonly requestId: string; readonly requester: string },
): Promise<
  | { readonly outcome: 'ready'; readonly grant: AccessRequest; readonly target: Target }
  | FormRefusal<ExtensionRefusal | 'not-found' | 'unknown-target'>
> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) return refused('not-found', 'This grant no longer exists.');
  const allowed = decideExtension(grant, input.requester);
  if (!allowed.allowed) return refused(allowed.reason, allowed.message);
  const target = findTarget(deps.policy.current(), grant.targetId);
  if (!target) return refused('unknown-target', 'This target is no longer in the policy.');
  return { outcome: 'ready', grant, target };
}

/**
 * The break-glass form: the targets `person` may choose from and the longest break-glass,
 * when they are a responder and any target is marked `breakGlass` (breakGlassTargets).
 */
export function breakGlassChoices(
  deps: Pick<RequestDeps, 'policy'>,
  person: ResolvedPerson,
):
  | { readonly outcome: 'ready'; readonly targets: readonly Target[]; readonly maxDurationSeconds: number }
  | FormRefusal<BreakGlassChoiceRefusal> {
  const choices = breakGlassTargets(deps.policy.current(), person);
  if (!choices.allowed) return refused(choices.reason, choices.message);
  return { outcome: 'ready', targets: choices.targets, maxDurationSeconds: choices.maxDurationSeconds };
}

/**
 * The accounts the request form offers for `target`: the accounts it may be granted in (OUs
 * expanded), named; undefined for a kind not granted per account, or when no account
 * directory is wired (the form then has no picker and the driver checks the account).
 */
export async function accountChoices(
  deps: Pick<RequestDeps, 'accounts'>,
  target: Target | undefined,
): Promise<readonly NamedAccount[] | undefined> {
  if (!target || !deps.accounts) return undefined;
  return deps.accounts.accountsFor(target);
}

/**
 * The accounts picked in the request form, checked against the target: for a target granted
 * per account at least one, each one it allows. Why check here too: the form is the place to
 * say so inline, and a forged submission must not name an account the target does not reach
 * (the driver checks again at activation).
 */
export async function checkAccountChoice(
  deps: Pick<RequestDeps, 'accounts'>,
  target: Target | undefined,
  picked: readonly string[] | undefined,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly message: string }> {
  const problem = accountProblem(picked, await allowedAccountIds(deps, target));
  return problem ? { ok: false, message: problem.message } : { ok: true };
}

/** The ids of {@link accountChoices}: what decideRequest's account rule checks against. */
export async function allowedAccountIds(
  deps: Pick<RequestDeps, 'accounts'>,
  target: Target | undefined,
): Promise<readonly string[] | undefined> {
  return (await accountChoices(deps, target))?.map((a) => a.id);
}
