import * as z from 'zod';
import { PolicyError } from '../domain/errors.js';
import { validatePolicy, type AccessPolicy } from '../domain/policy.js';
import { policyVersionOf, type PolicyVersion } from '../domain/provenance.js';
import { MAX_POLICY_FILE_BYTES, readPolicyText } from './policy-source.js';

/**
 * The policy as the stack bundles it into a function: the policy file itself (its text is the
 * policy's version, kept for decision provenance) and, next to it, the document synth read from
 * it as JSON (`<file>.json`, written by bundled-policy-writer.ts). A function validates the
 * JSON document as strictly as synth validated the file, so it needs no YAML reader: the two
 * readers are 159 KiB of every bundle that every cold start would parse.
 */
export const BUNDLED_POLICY_DOCUMENT_SUFFIX = '.json';

/** The format of the document file; another one is refused, never guessed. */
export const BUNDLED_POLICY_FORMAT = 'jit-bundled-policy/1';

export const bundledPolicyDocumentSchema = z.strictObject({
  format: z.literal(BUNDLED_POLICY_FORMAT),
  /** The SHA-256 of the policy text the document was read from. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  document: z.unknown(),
});

/**
 * Reads a bundled policy: its text (for the version) and the document next to it. Throws
 * PolicyError when the document is missing, is not the format, or was read from another text
 * (the file changed after synth), and when the document is not a valid policy.
 */
export function loadBundledPolicy(path: string): { policy: AccessPolicy; version: PolicyVersion } {
  const version = policyVersionOf(readPolicyText(path));
  const documentPath = `${path}${BUNDLED_POLICY_DOCUMENT_SUFFIX}`;
  let parsed: z.infer<typeof bundledPolicyDocumentSchema>;
  try {
    // JSON is larger than the YAML it was read from; four times the text's limit bounds it.
    parsed = bundledPolicyDocumentSchema.parse(
      JSON.parse(readPolicyText(documentPath, 4 * MAX_POLICY_FILE_BYTES)) as unknown,
    );
  } catch (error) {
    throw new PolicyError(path, [
      `(file): its parsed document ${documentPath} is missing or not one the stack writes ` +
        `(${error instanceof PolicyError ? error.issues.join('; ') : (error as Error).message}); deploy with the stack`,
    ]);
  }
  // Why: a document read from another text would apply rules nobody can read back by version.
  if (parsed.sha256 !== version.sha256) {
    throw new PolicyError(path, [
      `(file): its parsed document ${documentPath} was read from another text (the file changed after synth); deploy again`,
    ]);
  }
  return { policy: validatePolicy(parsed.document, path), version };
}
