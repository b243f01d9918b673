/**
 * The policy as a function reads it in AWS: the file the stack bundles and the document synth
 * read from it (shared/config/bundled-policy.ts). Same policy and version as reading the file;
 * anything else is refused with the file named, never read as something else.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBundledPolicy } from '../../../shared/config/bundled-policy.js';
import { bundledPolicyDocument } from '../../../shared/config/bundled-policy-writer.js';
import { EXAMPLE_POLICY_PATH, loadPolicyVersion } from '../../../shared/config/policy-file.js';
import { PolicyError } from '../../../shared/domain/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'jit-bundled-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles `text` as the stack does: the file, and its document next to it. */
function bundle(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  writeFileSync(`${file}.json`, bundledPolicyDocument(file));
  return file;
}

const EXAMPLE = readFileSync(EXAMPLE_POLICY_PATH, 'utf8');

describe('a bundled policy', () => {
  it('is the same policy, with the same version, as the file read with its YAML', () => {
    const file = bundle('example.yaml', EXAMPLE);
    expect(loadBundledPolicy(file)).toEqual(loadPolicyVersion(EXAMPLE_POLICY_PATH));
  });

  it('keeps what YAML aliases say, with no YAML reader in the function', () => {
    const aliased = `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
targets:
  - { id: a, kind: group, groupName: jit-a, description: A, requesters: [devs], approvers: &approvers [leads], defaultDuration: 1h, maxDuration: 8h }
  - { id: b, kind: group, groupName: jit-b, description: B, requesters: [devs], approvers: *approvers, defaultDuration: 1h, maxDuration: 8h }
`;
    const file = bundle('aliased.yaml', aliased);
    expect(loadBundledPolicy(file).policy.targets.map((t) => [t.id, t.approvers])).toEqual([
      ['a', ['leads']],
      ['b', ['leads']],
    ]);
  });

  it.each([
    {
      description: 'its document is missing',
      tamper: (file: string) => rmSync(`${file}.json`),
      refusal: /parsed document .* is missing or not one the stack writes.*deploy with the stack/,
    },
    {
      description: 'its document is of another format',
      tamper: (file: string) => {
        const json = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as Record<string, unknown>;
        writeFileSync(`${file}.json`, JSON.stringify({ ...json, format: 'jit-bundled-policy/9' }));
      },
      refusal: /is missing or not one the stack writes/,
    },
    {
      description: 'the file was changed after synth (the document was read from another text)',
      tamper: (file: string) => writeFileSync(file, EXAMPLE.replace('maxDuration: 8h', 'maxDuration: 9h')),
      refusal: /was read from another text \(the file changed after synth\)/,
    },
    {
      description: 'its document was edited into an invalid policy',
      tamper: (file: string) => {
        const json = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { document: { targets: object[] } };
        json.document.targets[0] = { ...json.document.targets[0], maxDuration: 'forever' };
        writeFileSync(`${file}.json`, JSON.stringify(json));
      },
      refusal: /targets\[0\]\.maxDuration/,
    },
  ])('is refused, naming the file, when $description', ({ tamper, refusal }) => {
    const file = join(dir, 'tampered.yaml');
    copyFileSync(EXAMPLE_POLICY_PATH, file);
    writeFileSync(`${file}.json`, bundledPolicyDocument(file));
    tamper(file);
    expect(() => loadBundledPolicy(file)).toThrow(PolicyError);
    expect(() => loadBundledPolicy(file)).toThrow(refusal);
    expect(() => loadBundledPolicy(file)).toThrow(file);
  });

  it('is written only from a valid policy', () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, EXAMPLE.replace('maxDuration: 8h', 'maxDuration: forever'));
    expect(() => bundledPolicyDocument(file)).toThrow(PolicyError);
  });
});
