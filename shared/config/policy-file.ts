import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PolicyError } from '../domain/errors.js';
import { parsePolicy, type AccessPolicy } from '../domain/policy.js';
import { policyVersionOf, type PolicyVersion } from '../domain/provenance.js';

/** The example policy that ships with the project (the web-app IAM layout). */
export const EXAMPLE_POLICY_PATH = fileURLToPath(new URL('../../policy/example.yaml', import.meta.url));

/**
 * The largest policy file the broker reads: 2 MiB, twice what a 5,000-target policy takes
 * (about 1.1 MB of YAML, bench/policy.ts). Why: every Lambda cold start and every synth parses
 * the policy; a runaway file would stall them all.
 */
export const MAX_POLICY_FILE_BYTES = 2 * 1024 * 1024;

/** Reads and validates a policy file. Throws PolicyError naming the file, each path and reason. */
export function loadPolicyFile(path: string): AccessPolicy {
  return loadPolicyVersion(path).policy;
}

/**
 * Reads and validates a policy file, with its version (the SHA-256 of its text) for decision
 * provenance. Throws like {@link loadPolicyFile}.
 */
export function loadPolicyVersion(path: string): { policy: AccessPolicy; version: PolicyVersion } {
  let text: string;
  try {
    const { size } = statSync(path);
    if (size > MAX_POLICY_FILE_BYTES) {
      throw new PolicyError(path, [
        `(file): is ${size} bytes; a policy file may be at most ${MAX_POLICY_FILE_BYTES} bytes (2 MiB)`,
      ]);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError(path, [`(file): cannot be read: ${(error as Error).message}`]);
  }
  return { policy: parsePolicy(text, path), version: policyVersionOf(text) };
}
