import type { AuditEvent } from '../domain/audit.js';
import type { AuditReader } from '../domain/audit-query.js';
import type { AccessPolicy } from '../domain/policy.js';
import { parsePolicy } from '../domain/policy-text.js';
import type { Clock, PolicyVersionStore } from '../domain/ports.js';
import {
  explainRequest,
  policyVersionOf,
  type Explanation,
  type PolicyVersion,
} from '../domain/provenance.js';

/** What `explain` reads: the request's events, the kept policy versions, the policy now in force. */
export interface ExplainDeps {
  readonly reader: AuditReader;
  readonly versions: PolicyVersionStore;
  readonly clock: Clock;
  /** The policy in force now, to say what it would decide (optional). */
  readonly current?: PolicyVersion;
}

/**
 * Explains why a request was allowed or refused, step by step: its events oldest first, and
 * for every decision the rule read from the policy version in force then and the replay of
 * the decision function on the recorded inputs.
 */
export async function explainDecision(deps: ExplainDeps, requestId: string): Promise<Explanation> {
  const events: AuditEvent[] = [];
  for await (const event of deps.reader.stream({ requestId }, deps.clock.now())) events.push(event);
  events.reverse(); // the reader gives newest first
  const policies = new Map<string, AccessPolicy>();
  for (const event of events) {
    const sha = event.detail?.policySha256;
    if (typeof sha !== 'string' || policies.has(sha)) continue;
    const text = await deps.versions.get(sha);
    // Why: a kept version whose text no longer hashes to its address was edited; never replay it.
    if (text !== undefined && policyVersionOf(text).sha256 === sha) {
      policies.set(sha, parsePolicy(text, `policy#${sha}`));
    }
  }
  const current = deps.current
    ? { sha256: deps.current.sha256, policy: parsePolicy(deps.current.text, 'current policy') }
    : undefined;
  return explainRequest(requestId, events, policies, current);
}
