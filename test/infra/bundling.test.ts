/**
 * What the Lambda bundles leave out (infra/bundling.ts), checked on bundles built exactly as
 * the stack builds them: a module that comes back (a receiver, a named zod import)
 * makes every cold start parse it again, and nothing else would notice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LAMBDA_ESBUILD_OPTIONS } from '../../infra/bundling.js';
import { bundledPolicyDocument } from '../../shared/config/bundled-policy-writer.js';

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
  it('holds no receiver but the AWS Lambda one, no OAuth, no YAML reader, no credential chain, no IAM or STS, no zod locale but English, and stays under 1.5 MB', async () => {
    const { bytes, inputs } = await bundle('functions/slack/handler.ts', 'slack');
    const packages = (name: string) => inputs.filter((path) => path.includes(`node_modules/${name}/`));
    for (const leftOut of [
      'express',
      '@slack/socket-mode',
      'raw-body',
      '@slack/oauth',
      'jsonwebtoken',
      'js-yaml',
      'yaml',
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/nested-clients',
      '@aws-sdk/client-iam',
      '@aws-sdk/client-sts',
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

  it('is read from the document synth wrote, YAML aliases included, with no YAML reader in the bundle', async () => {
    const entry = join(dir, 'policy-entry.ts');
    writeFileSync(
      entry,
      `export { loadBundledPolicy } from ${JSON.stringify(join(process.cwd(), 'shared/config/bundled-policy.ts'))};\n`,
    );
    const { outfile, inputs } = await bundle(entry, 'policy');
    expect(inputs.filter((path) => /node_modules\/(js-)?yaml\//.test(path))).toEqual([]);
    const { loadBundledPolicy } = (await import(pathToFileURL(outfile).href)) as {
      loadBundledPolicy: (path: string) => { policy: { targets: { id: string; approvers: string[] }[] } };
    };
    const aliased = POLICY.replace('approvers: [leads]', 'approvers: &approvers [leads]').replace(
      /\n$/,
      '\n  - { id: dev-group-2, kind: group, groupName: jit-developers-2, description: Developers, requesters: [devs], approvers: *approvers, defaultDuration: 1h, maxDuration: 8h }\n',
    );
    const file = join(dir, 'access-policy.yaml');
    writeFileSync(file, aliased);
    writeFileSync(`${file}.json`, bundledPolicyDocument(file));
    expect(loadBundledPolicy(file).policy.targets.map((t) => [t.id, t.approvers])).toEqual([
      ['dev-group', ['leads']],
      ['dev-group-2', ['leads']],
    ]);
  });
});

describe('the errors in a bundle', () => {
  /** Every module of the functions' shared code that declares an error class. */
  const MODULES = readdirSync('shared', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('shared', file))
    .filter((file) => /^export class \w+ extends \w*Error\b/m.test(readFileSync(file, 'utf8')));

  it('keep their class names through minification, for logs and stack traces', async () => {
    const entry = join(dir, 'errors-entry.ts');
    writeFileSync(
      entry,
      MODULES.map((m) => `export * from ${JSON.stringify(join(process.cwd(), m))};`).join('\n'),
    );
    const { outfile } = await bundle(entry, 'errors');
    const exported = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    const errorClasses = Object.entries(exported).filter(
      (entry): entry is [string, new (...args: never[]) => Error] =>
        typeof entry[1] === 'function' && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(MODULES.length).toBeGreaterThanOrEqual(7);
    expect(errorClasses.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'BrokerError',
        'ValidationError',
        'AwsOperationError',
        'SealRetryError',
        'SlackApiError',
      ]),
    );
    for (const [name, errorClass] of errorClasses) expect(errorClass.prototype.name, name).toBe(name);
  });
});

describe('stack traces of a bundle', () => {
  it('name the TypeScript source, from a source map read only when a stack is printed', async () => {
    const source = join(dir, 'thrower.ts');
    writeFileSync(
      source,
      [
        `import { ValidationError } from ${JSON.stringify(join(process.cwd(), 'shared/domain/errors.ts'))};`,
        `export function fail(): never {`,
        `  throw new ValidationError('probe');`,
        `}`,
      ].join('\n'),
    );
    const { outfile } = await bundle(source, 'thrower');
    // In a child process (the module installs Error.prepareStackTrace), as Lambda runs it: no
    // NODE_OPTIONS. The map is moved away while the bundle loads and put back before the error.
    const script = [
      `import { renameSync } from 'node:fs';`,
      `renameSync(process.argv[1] + '.map', process.argv[1] + '.map.away');`,
      `const { fail } = await import(process.argv[2]);`,
      `renameSync(process.argv[1] + '.map.away', process.argv[1] + '.map');`,
      `try { fail(); } catch (error) { console.log(error.stack); }`,
    ].join('\n');
    const stack = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', script, outfile, pathToFileURL(outfile).href],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    const [header, frame] = stack.split('\n');
    expect(header).toBe('ValidationError: probe');
    expect(frame).toMatch(new RegExp(`^    at .* \\(${source.replaceAll('.', '\\.')}:3:9\\)$`));
  });

  it('keep the bundle position when the map cannot be read', async () => {
    const source = join(dir, 'thrower-unmapped.ts');
    writeFileSync(source, `export function fail(): never {\n  throw new Error('unmapped');\n}\n`);
    const { outfile } = await bundle(source, 'thrower-unmapped');
    rmSync(`${outfile}.map`);
    const script = `const { fail } = await import(process.argv[1]); try { fail(); } catch (error) { console.log(error.stack); }`;
    const stack = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', script, pathToFileURL(outfile).href],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    expect(stack.split('\n')[0]).toBe('Error: unmapped');
    expect(stack.split('\n')[1]).toContain(`${pathToFileURL(outfile).href}:`);
  });
});

describe('the AWS clients in a bundle', () => {
  it('sign with the credentials Lambda puts in the environment, and with nothing else', async () => {
    const entry = join(dir, 'client-entry.ts');
    writeFileSync(
      entry,
      [
        `import { ListTablesCommand } from '@aws-sdk/client-dynamodb';`,
        `import { createDocumentClient } from ${JSON.stringify(join(process.cwd(), 'shared/adapters/dynamodb/client.ts'))};`,
        `export const listTables = (endpoint: string) =>`,
        `  createDocumentClient({ endpoint, region: 'us-east-1', maxAttempts: 1 }).send(new ListTablesCommand({}));`,
      ].join('\n'),
    );
    const outfile = join(dir, 'client.mjs');
    await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [entry],
      outfile,
      // The entry sits in a temporary directory: its own imports resolve from the project.
      nodePaths: [join(process.cwd(), 'node_modules')],
      logLevel: 'error',
    });
    const { listTables } = (await import(pathToFileURL(outfile).href)) as {
      listTables: (endpoint: string) => Promise<{ TableNames?: string[] }>;
    };
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = 'ASIAFROMLAMBDAENV001';
      process.env.AWS_SECRET_ACCESS_KEY = 'lambda-env-secret';
      process.env.AWS_SESSION_TOKEN = 'lambda-env-token';
      await expect(listTables(inject('dynamoEndpoint'))).resolves.toMatchObject({
        TableNames: expect.any(Array),
      });
      // A profile is not looked at: only the environment, as in Lambda.
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      delete process.env.AWS_SESSION_TOKEN;
      const config = join(dir, 'aws-config');
      writeFileSync(
        config,
        '[profile elsewhere]\naws_access_key_id = profile-key-not-real\naws_secret_access_key = profile-secret-not-real\n',
      );
      process.env.AWS_CONFIG_FILE = config;
      process.env.AWS_PROFILE = 'elsewhere';
      await expect(listTables(inject('dynamoEndpoint'))).rejects.toThrow(/environment variable credentials/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

describe('zod in a bundle', () => {
  it('runs without its JIT from before the first schema is built, and parses the same', async () => {
    // A module that builds a schema at load, as shared/domain/policy.ts does; zod is imported by
    // its file path because the fixture lives outside the project.
    const schemas = join(dir, 'schemas.ts');
    writeFileSync(
      schemas,
      [
        `import * as z from ${JSON.stringify(join(process.cwd(), 'node_modules/zod/index.js'))};`,
        'export const jitlessWhenBuilt = z.config().jitless === true;',
        'export const shape = z.strictObject({ id: z.string().min(1), hours: z.number().int().optional() });',
      ].join('\n'),
    );
    const entry = join(dir, 'zod-entry.ts');
    writeFileSync(entry, `export { jitlessWhenBuilt, shape } from ${JSON.stringify(schemas)};\n`);
    const { outfile } = await bundle(entry, 'zod');
    const loaded = (await import(pathToFileURL(outfile).href)) as {
      jitlessWhenBuilt: boolean;
      shape: { safeParse: (v: unknown) => { success: boolean; data?: unknown } };
    };
    expect(loaded.jitlessWhenBuilt).toBe(true);
    expect(loaded.shape.safeParse({ id: 'a', hours: 2 })).toEqual({
      success: true,
      data: { id: 'a', hours: 2 },
    });
    expect(loaded.shape.safeParse({ id: 'a', extra: 1 }).success).toBe(false);
    expect(loaded.shape.safeParse({ id: '' }).success).toBe(false);
  });
});
