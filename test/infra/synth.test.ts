import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBrokerApp } from '../../infra/broker-app.js';
import { BROKER_FUNCTIONS } from '../../infra/broker-stack.js';
import { loadBundledPolicy } from '../../shared/config/bundled-policy.js';
import { EXAMPLE_POLICY_PATH, loadPolicyVersion } from '../../shared/config/policy-file.js';
import { SKIP_BUNDLING, synthBroker, type SynthResult } from './synth-broker.js';

describe('cdk synth, bundled with the local esbuild and checked by cdk-nag', () => {
  // One real synth (esbuild bundles every function and the console): the slow part of this file.
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthBroker({ bundle: true });
  }, 400_000);

  it('reports no unacknowledged cdk-nag finding', () => {
    const report = JSON.parse(
      readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
  });

  it('bundles an ESM handler with its source map, and the policy file where POLICY_PATH points', () => {
    // Function bundles (the web console and CDK's deployment provider are assets too).
    const assets = readdirSync(synth.assembly.directory, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.startsWith('asset.'))
      .map((d) => d.name)
      .filter((d) => readdirSync(join(synth.assembly.directory, d)).includes('index.mjs'));
    expect(assets).toHaveLength(BROKER_FUNCTIONS.length);
    const withPolicy = assets.filter((asset) =>
      readdirSync(join(synth.assembly.directory, asset)).includes('access-policy-example.yaml'),
    );
    // Every function but the audit API, the anchor and the archive reads the access policy.
    expect(withPolicy).toHaveLength(BROKER_FUNCTIONS.length - 3);
    for (const asset of assets) {
      const files = readdirSync(join(synth.assembly.directory, asset));
      expect(files).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      // Read when a stack is printed (infra/lambda-stubs/stack-traces.mjs): mappings only, no sources' text.
      const map = JSON.parse(
        readFileSync(join(synth.assembly.directory, asset, 'index.mjs.map'), 'utf8'),
      ) as {
        sources: string[];
        sourcesContent?: unknown;
        mappings: string;
      };
      expect(map.sources.length, asset).toBeGreaterThan(0);
      expect(map.mappings.length, asset).toBeGreaterThan(0);
      expect(map.sourcesContent, asset).toBeUndefined();
      expect(
        map.sources.some((source) => source.endsWith('lambda-stubs/stack-traces.mjs')),
        asset,
      ).toBe(true);
    }
    const bundled = readFileSync(
      join(synth.assembly.directory, withPolicy[0]!, 'access-policy-example.yaml'),
      'utf8',
    );
    expect(bundled).toBe(readFileSync(EXAMPLE_POLICY_PATH, 'utf8'));
    // Next to it, the document synth read from it: what the function validates (no YAML reader).
    for (const asset of withPolicy) {
      const policyFile = join(synth.assembly.directory, asset, 'access-policy-example.yaml');
      expect(loadBundledPolicy(policyFile)).toEqual(loadPolicyVersion(EXAMPLE_POLICY_PATH));
    }
  });

  it('builds the web console offline into an asset: page, script, stylesheet (config.json comes from the stack)', () => {
    const [consoleAsset, ...others] = readdirSync(synth.assembly.directory, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.startsWith('asset.'))
      .map((d) => join(synth.assembly.directory, d.name))
      .filter((dir) => readdirSync(dir).includes('index.html'));
    expect(others).toEqual([]);
    expect(readdirSync(consoleAsset!).sort()).toEqual(['app.css', 'app.js', 'index.html']);
  });
});

describe('synth-time checks', () => {
  const tmp = () => mkdtempSync(join(tmpdir(), 'jit-cdk-'));

  it('fails on a broken policy file, naming the file, the path and the reason', () => {
    const file = join(tmp(), 'broken.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE_POLICY_PATH, 'utf8').replace('maxDuration: 8h', 'maxDuration: forever'),
    );
    expect(() => createBrokerApp({ outdir: tmp(), context: { ...SKIP_BUNDLING, policyFile: file } })).toThrow(
      new RegExp(`${file}[\\s\\S]*targets\\[0\\]\\.maxDuration[\\s\\S]*not a duration`),
    );
  });

  it('fails on a role target outside the managed IAM path', () => {
    const file = join(tmp(), 'outside.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE_POLICY_PATH, 'utf8').replace('role/jit/Auditor', 'role/Auditor'),
    );
    expect(() => createBrokerApp({ outdir: tmp(), context: { ...SKIP_BUNDLING, policyFile: file } })).toThrow(
      /targets\[4\]\.roleArn: .*role\/Auditor.* is not under the managed IAM path \/jit\//,
    );
  });

  it('fails on an unacknowledged cdk-nag finding', () => {
    // An SQS queue without SSL enforcement nor a dead-letter queue: AwsSolutions-SQS3/SQS4.
    expect(() => synthBroker({ amend: (stack) => new sqs.Queue(stack, 'UnprotectedQueue') })).toThrow(
      /AwsSolutions-SQS4/,
    );
  });

  it('lets the reconciler remove standing members only when reconcileRemove is on', () => {
    const { json } = synthBroker({ context: { reconcileRemove: 'true' } });
    const reconcilerPolicy = Object.entries(json.Resources).find(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('ReconcilerRole'),
    )![1];
    expect(JSON.stringify(reconcilerPolicy.Properties)).toContain('iam:RemoveUserFromGroup');
    const reconciler = Object.entries(json.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('ReconcilerFunction'),
    )![1];
    expect(JSON.stringify(reconciler.Properties)).toContain('"RECONCILE_REMOVE":"true"');
  });

  it('rejects a reconcileRemove that is not true or false', () => {
    expect(() =>
      createBrokerApp({ outdir: tmp(), context: { ...SKIP_BUNDLING, reconcileRemove: 'yes' } }),
    ).toThrow(/reconcileRemove: "yes" must be true or false/);
  });
});
