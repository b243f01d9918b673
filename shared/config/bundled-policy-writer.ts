import { validatePolicy } from '../domain/policy.js';
import { readPolicyDocument } from '../domain/policy-text.js';
import { policyVersionOf } from '../domain/provenance.js';
import { BUNDLED_POLICY_FORMAT } from './bundled-policy.js';
import { readPolicyText } from './policy-source.js';

/**
 * The document file the stack bundles next to a policy file (see bundled-policy.ts): the
 * document read from its text, as JSON, with the text's SHA-256. Synth-time only (it reads
 * YAML). Throws PolicyError when the file is not a valid policy. The document holds only what
 * JSON holds: every number a valid policy has is a small integer (no `.inf` or `.nan`).
 */
export function bundledPolicyDocument(path: string): string {
  const text = readPolicyText(path);
  const document = readPolicyDocument(text, path);
  validatePolicy(document, path);
  return JSON.stringify({ format: BUNDLED_POLICY_FORMAT, sha256: policyVersionOf(text).sha256, document });
}
