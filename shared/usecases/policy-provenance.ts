import type { AuditDetail } from '../domain/audit.js';
import type { ResolvedPerson } from '../domain/person.js';
import type { Target } from '../domain/policy.js';
import type { PolicyVersionStore } from '../domain/ports.js';
import { provenanceDetail, type DecisionStage, type PolicyVersion } from '../domain/provenance.js';

/** The policy version in force, kept before any decision names it. */
export interface PolicyProvenance {
  /** The SHA-256 of the policy in force; its text is kept by the time this resolves. */
  inForce(): Promise<string>;
}

/**
 * Provenance over a version store: the first decision of a process keeps the version (one
 * conditional write), later ones reuse it. A failed write is tried again by the next decision.
 */
export function keptPolicyVersion(store: PolicyVersionStore, version: PolicyVersion): PolicyProvenance {
  let kept: Promise<void> | undefined;
  return {
    async inForce() {
      kept ??= store.keep(version).catch((error: unknown) => {
        kept = undefined;
        throw error;
      });
      await kept;
      return version.sha256;
    },
  };
}

/**
 * The provenance detail of a decision event (empty where no provenance is wired). Why it
 * throws when the version cannot be kept: a decision naming a policy nobody can read back
 * is not evidence.
 */
export async function decisionProvenance(
  provenance: PolicyProvenance | undefined,
  target: Target | undefined,
  stage: DecisionStage,
  decider: ResolvedPerson,
): Promise<AuditDetail> {
  if (!provenance) return {};
  return provenanceDetail(await provenance.inForce(), target, stage, decider);
}
