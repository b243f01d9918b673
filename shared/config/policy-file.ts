import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PolicyError } from '../domain/errors.js';
import { parsePolicy, type AccessPolicy } from '../domain/policy.js';

/** The example policy that ships with the project (the web-app IAM layout). */
export const EXAMPLE_POLICY_PATH = fileURLToPath(new URL('../../policy/example.yaml', import.meta.url));

/** Reads and validates a policy file. Throws PolicyError naming the file, each path and reason. */
export function loadPolicyFile(path: string): AccessPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(path, [`(file): cannot be read: ${(error as Error).message}`]);
  }
  return parsePolicy(text, path);
}
