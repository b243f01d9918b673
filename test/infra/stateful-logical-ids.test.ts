import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { synthBroker, type SynthResult } from './synth-broker.js';

/**
 * Upgrades lose nothing: CloudFormation replaces a resource whose logical id changes, and a
 * replaced table, secret, key or bucket starts empty. The ids below are pinned in a fixture;
 * a refactor that moves or renames a construct must keep them (overrideLogicalId) or migrate.
 */

const FIXTURE = new URL('./fixtures/stateful-logical-ids.json', import.meta.url);

/**
 * Resource types that hold state, and whether the stack must retain them on delete and on
 * replacement. Queues are pinned (a replaced queue drops in-flight grant jobs and dead letters)
 * but not retained: a retained queue outlives the stack with nothing left to drain it.
 */
const STATEFUL_TYPES: Readonly<Record<string, { readonly retain: boolean }>> = {
  'AWS::DynamoDB::Table': { retain: true },
  'AWS::DynamoDB::GlobalTable': { retain: true },
  'AWS::SecretsManager::Secret': { retain: true },
  'AWS::KMS::Key': { retain: true },
  'AWS::S3::Bucket': { retain: true },
  'AWS::SQS::Queue': { retain: false },
};

type Pins = Record<string, string[]>;

function readPins(): Pins {
  const { '//': _comment, ...pins } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Pins & { '//': string };
  return pins;
}

type Resources = SynthResult['json']['Resources'];

/** Each way `resources` would lose state against `pins`, as a message naming the fix. */
function statefulProblems(resources: Resources, pins: Pins): string[] {
  const problems: string[] = [];
  for (const [type, ids] of Object.entries(pins)) {
    for (const id of ids) {
      const resource = resources[id];
      if (!resource) {
        problems.push(
          `Stateful resource ${id} (${type}) would be replaced (logical id changed or resource removed) — keep its id with overrideLogicalId, or plan a migration and then update test/infra/fixtures/stateful-logical-ids.json`,
        );
      } else if (resource.Type !== type) {
        problems.push(`Stateful resource ${id} changed type from ${type} to ${resource.Type}`);
      }
    }
  }
  for (const [id, resource] of Object.entries(resources)) {
    const kind = STATEFUL_TYPES[resource.Type];
    if (!kind) continue;
    if (!(pins[resource.Type] ?? []).includes(id)) {
      problems.push(
        `New stateful resource ${id} (${resource.Type}) is not pinned — add its logical id to test/infra/fixtures/stateful-logical-ids.json`,
      );
    }
    const policies = resource as { DeletionPolicy?: string; UpdateReplacePolicy?: string };
    if (kind.retain && (policies.DeletionPolicy !== 'Retain' || policies.UpdateReplacePolicy !== 'Retain')) {
      problems.push(
        `Stateful resource ${id} (${resource.Type}) must be retained: set removalPolicy: RemovalPolicy.RETAIN (DeletionPolicy ${policies.DeletionPolicy ?? 'unset'}, UpdateReplacePolicy ${policies.UpdateReplacePolicy ?? 'unset'})`,
      );
    }
  }
  return problems;
}

describe('stateful resources keep their logical ids across upgrades', () => {
  const { json } = synthBroker();
  const pins = readPins();

  it('pins every stateful type the check knows, and every pinned type is checked', () => {
    expect(Object.keys(pins).sort()).toEqual(
      Object.keys(STATEFUL_TYPES)
        .filter((t) => t !== 'AWS::DynamoDB::GlobalTable')
        .sort(),
    );
  });

  it('finds every pinned resource under its id, each data store retained', () => {
    expect(statefulProblems(json.Resources, pins)).toEqual([]);
  });

  it('names the resource a refactor would replace', () => {
    const { RequestsTable419243C7: table, ...rest } = json.Resources;
    const renamed = { ...rest, RequestsTableRenamed1234: table! };
    expect(statefulProblems(renamed, pins)).toEqual([
      expect.stringMatching(
        /^Stateful resource RequestsTable419243C7 \(AWS::DynamoDB::Table\) would be replaced .*overrideLogicalId/,
      ),
      expect.stringMatching(/^New stateful resource RequestsTableRenamed1234 .* is not pinned/),
    ]);
  });

  it('refuses a data store that is not retained, and a stateful resource nobody pinned', () => {
    const resources = {
      ...json.Resources,
      NewBucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' },
    } as Resources;
    expect(statefulProblems(resources, pins)).toEqual([
      expect.stringMatching(/^New stateful resource NewBucket \(AWS::S3::Bucket\) is not pinned/),
      expect.stringMatching(/^Stateful resource NewBucket \(AWS::S3::Bucket\) must be retained/),
    ]);
  });
});
