import { DynamoAuditDigests } from '../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { digestAuditDays } from '../../shared/usecases/digest-audit.js';
import { ManualClock } from './fakes.js';
import type { LocalTables } from './local-dynamo.js';

/**
 * Runs the digest run over a test's tables as the anchor function runs it, at `at`, from
 * `firstDay`, quietly; returns the digest store, for readers and `verify`.
 */
export async function digestClosedDays(
  tables: LocalTables,
  at: string,
  firstDay: string,
): Promise<DynamoAuditDigests> {
  const digests = new DynamoAuditDigests(tables.doc, tables.names.auditDigests as string);
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const run = await digestAuditDays({
    trail: new DynamoAuditQuery(tables.doc, tables.names.audit),
    digests,
    clock: new ManualClock(at),
    logger: quiet,
    metrics: { count: () => {} },
    firstDay,
  });
  if (run.status !== 'digested') throw new Error(`the digest run failed: ${run.error}`);
  return digests;
}
