/**
 * What the Lambda bundles leave out (infra/bundling.ts), checked on bundles built exactly as
 * the stack builds them: a module that comes back (a new import of `yaml`, a named zod import)
 * makes every cold start parse it again, and nothing else would notice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_ESBUILD_OPTIONS } from '../../infra/bundling.js';

const dir = mkdtempSync(join(tmpdir(), 'jit-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles `entry` as deployed; the bundle's path, size and the package inputs it holds. */
async function bundle(entry: string, name: string) {
  const outfile = join(dir, `${name}.mjs`);
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.keys(output?.inputs ?? {});
  return { outfile, bytes: output?.bytes ?? 0, inputs };
}

describe('the Slack function bundle', () => {
  it('holds no receiver but the AWS Lambda one, no OAuth, no yaml, no zod locale but English, and stays under 1.5 MB', async () => {
    const { bytes, inputs } = await bundle('functions/slack/handler.ts', 'slack');
    const packages = (name: string) => inputs.filter((path) => path.includes(`node_modules/${name}/`));
    for (const leftOut of [
      'express',
      '@slack/socket-mode',
      'raw-body',
      '@slack/oauth',
      'jsonwebtoken',
      'yaml',
    ])
      expect(packages(leftOut), leftOut).toEqual([]);
    expect(inputs.filter((path) => /node_modules\/zod\/.*locales\/(?!en\.)/.test(path))).toEqual([]);
    expect(bytes).toBeLessThanOrEqual(1_500_000);
  });
});

describe('a bundled policy', () => {
  const POLICY = `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
`;

  it('is read by the fast reader; one it refuses (changed after synth) fails saying so, not explained by yaml', async () => {
    const entry = join(dir, 'parse-entry.ts');
    writeFileSync(
      entry,
      `export { parsePolicy } from ${JSON.stringify(join(process.cwd(), 'shared/domain/policy.ts'))};\n`,
    );
    const { outfile } = await bundle(entry, 'parse');
    const { parsePolicy } = (await import(pathToFileURL(outfile).href)) as {
      parsePolicy: (text: string) => { targets: { id: string }[] };
    };
    expect(parsePolicy(POLICY).targets.map((t) => t.id)).toEqual(['dev-group']);
    const duplicated = POLICY.replace('people:', 'people:\n  leads: { users: [UEVIL] }');
    expect(() => parsePolicy(duplicated)).toThrow(/changed since.*npm run synth/);
  });
});
