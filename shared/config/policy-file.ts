import { fileURLToPath } from 'node:url';
import type { AccessPolicy } from '../domain/policy.js';
import { parsePolicy } from '../domain/policy-text.js';
import { policyVersionOf, type PolicyVersion } from '../domain/provenance.js';
import { readPolicyText } from './policy-source.js';

/** The example policy that ships with the project (the web-app IAM layout). */
export const EXAMPLE_POLICY_PATH = fileURLToPath(new URL('../../policy/example.yaml', import.meta.url));

export { MAX_POLICY_FILE_BYTES } from './policy-source.js';

/** Reads and validates a policy file. Throws PolicyError naming the file, each path and reason. */
export function loadPolicyFile(path: string): AccessPolicy {
  return loadPolicyVersion(path).policy;
}

/**
 * Reads and validates a policy file, with its version (the SHA-256 of its text) for decision
 * provenance. Throws like {@link loadPolicyFile}.
 */
export function loadPolicyVersion(path: string): { policy: AccessPolicy; version: PolicyVersion } {
  const text = readPolicyText(path);
  return { policy: parsePolicy(text, path), version: policyVersionOf(text) };
}
