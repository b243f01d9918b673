import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { TARGET_KINDS } from '../targets/kinds.js';
import { PolicyError } from './errors.js';
import { formatIssuePath, validatePolicy, type AccessPolicy } from './policy.js';
import type { TargetKind } from './target-kind.js';

/**
 * Reading a policy from its text (YAML or JSON). Kept apart from the policy's meaning
 * (policy.ts) so that what only needs a validated policy, such as a Lambda function reading
 * the policy synth bundled as JSON (shared/config/bundled-policy.ts), carries neither YAML
 * reader (159 KiB of every bundle).
 */

type Path = (string | number)[];

/**
 * Parses policy text (YAML, which includes JSON) and validates it. Duplicate keys are refused
 * (a second `approvers:` silently replacing the first is how a rule gets weaker unnoticed).
 *
 * Two readers, one meaning (YAML 1.2 core schema, no merge keys, no custom tags): a fast one
 * (js-yaml, about ten times faster on a 5,000-target policy, which every synth and local start
 * parses; a function reads the document synth wrote, bundled-policy.ts) takes a plain
 * document, and refuses duplicate keys and any alias itself; whatever it refuses is read again
 * by the thorough one, which names each duplicate key by its path, bounds aliases and gives
 * positioned syntax errors.
 */
export function parsePolicy(
  text: string,
  source = '(inline)',
  kinds: readonly TargetKind[] = TARGET_KINDS,
): AccessPolicy {
  return validatePolicy(readPolicyDocument(text, source), source, kinds);
}

/**
 * The document of policy text as {@link parsePolicy} reads it, not yet validated (plain data:
 * maps, lists, strings, numbers, booleans, null). Throws PolicyError for text that is not a
 * usable YAML document (a syntax error, a duplicate key, too many aliases).
 */
export function readPolicyDocument(text: string, source = '(inline)'): unknown {
  const plain = readPlainYaml(text);
  return plain.ok ? plain.document : readYamlThoroughly(text, source);
}

/** The fast reader: a document without aliases and duplicate keys, or not-ok for the thorough one. */
function readPlainYaml(text: string): { ok: true; document: unknown } | { ok: false } {
  try {
    return { ok: true, document: loadYaml(text, { schema: CORE_SCHEMA, json: false, maxAliases: 0 }) };
  } catch {
    return { ok: false };
  }
}

/**
 * The thorough reader: duplicate keys are found with one set per mapping, because the YAML
 * library's own check scans every earlier key of a mapping for each key and takes minutes on a
 * large `identities` map.
 */
function readYamlThoroughly(text: string, source: string): unknown {
  const parsed = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const [syntaxError] = parsed.errors;
  if (syntaxError) throw new PolicyError(source, [`(root): not valid YAML or JSON: ${syntaxError.message}`]);
  const duplicates: string[] = [];
  findDuplicateKeys(parsed.contents, [], duplicates);
  if (duplicates.length > 0) throw new PolicyError(source, duplicates);
  try {
    return parsed.toJS();
  } catch (error) {
    // toJS refuses alias bombs (too many aliases) and similar; the document is not usable.
    throw new PolicyError(source, [`(root): not a usable YAML document: ${(error as Error).message}`]);
  }
}

/** Appends `path: key "x" is defined twice` for every repeated key of every mapping under `node`. */
function findDuplicateKeys(node: unknown, path: Path, out: string[]): void {
  if (isMap(node)) {
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const keyPath = [...path, String(key)];
      if (seen.has(key)) out.push(`${formatIssuePath(keyPath)}: is defined twice`);
      seen.add(key);
      findDuplicateKeys(pair.value, keyPath, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findDuplicateKeys(item, [...path, i], out));
  }
}
