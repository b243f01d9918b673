import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PolicyVersionStore } from '../../domain/ports.js';
import type { PolicyVersion } from '../../domain/provenance.js';
import { HEAD_SEQ } from './audit-log.js';
import { createDocumentClient } from './client.js';
import { writeOne } from './transactions.js';

/**
 * The key of a kept policy version in the audit table: `policy#<sha256>` / 0. Like the chain
 * manifests it carries no index keys, so no audit query or verification walk ever sees it.
 */
export function policyVersionKey(sha256: string): { chain: string; seq: number } {
  return { chain: `policy#${sha256}`, seq: HEAD_SEQ };
}

/**
 * Policy versions kept in the audit table, written once: the put is conditional on the item
 * not existing, so a version is never overwritten (a second writer's put fails its condition,
 * which means "already kept"). The text is gzipped: a 2 MiB policy file fits an item.
 */
export class DynamoPolicyVersions implements PolicyVersionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  async keep(version: PolicyVersion): Promise<void> {
    // A failed condition means "already kept": versions are content-addressed.
    await writeOne(this.doc, {
      Put: {
        TableName: this.tableName,
        Item: {
          ...policyVersionKey(version.sha256),
          sha256: version.sha256,
          textGzip: gzipSync(Buffer.from(version.text, 'utf8')),
          keptAt: this.clock.now().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(chain)',
      },
    });
  }

  async get(sha256: string): Promise<string | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: policyVersionKey(sha256), ConsistentRead: true }),
    );
    const gz = Item?.textGzip as Uint8Array | undefined;
    return gz === undefined ? undefined : gunzipSync(gz).toString('utf8');
  }
}

/** The policy versions of an audit table, for entry points that may not import the SDK (the CLI). */
export function createPolicyVersionStore(tableName: string): DynamoPolicyVersions {
  return new DynamoPolicyVersions(createDocumentClient(), tableName);
}
