import { PassThrough } from 'node:stream';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, main, type CliDeps } from '../../../functions/cli/audit.js';
import { CloudTrailActivityLookup } from '../../../shared/adapters/aws/cloudtrail-activity.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { TokenBucket } from '../../../shared/domain/activity.js';
import { roleSessionOf } from '../../../shared/targets/role/activity-session.js';
import { ManualClock, RecordingPublisher } from '../../support/fakes.js';
import { grantRecord, grantWorld, storeGrants } from '../../support/fake-aws.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const cloudTrail = mockClient(CloudTrailClient);
afterEach(() => cloudTrail.reset());

const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T10:00:00.000Z';

async function setUp() {
  const clock = new ManualClock('2026-11-27T12:00:00.000Z');
  const w = grantWorld({ store: db().requests, audit: db().audit, clock });
  await storeGrants(w, [
    grantRecord({ id: 'r-1', status: 'EXPIRED', targetId: 'prod-role', startsAt: START, endsAt: END }),
    grantRecord({ id: 'g-1', status: 'EXPIRED', startsAt: START, endsAt: END }),
  ]);
  const deps: CliDeps = {
    reader: new DynamoAuditQuery(db().doc, db().names.audit),
    clock,
    activity: () => ({
      store: db().requests,
      audit: db().audit,
      lookup: new CloudTrailActivityLookup(() => new CloudTrailClient({ region: 'eu-west-1' })),
      budget: new TokenBucket(2),
      clock,
      sleep: async (ms) => clock.advance(ms / 1000),
      events: new RecordingPublisher(),
      sessionOf: roleSessionOf(w.deps.policy),
      regions: ['eu-west-1'],
    }),
  };
  return async (argv: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => out.push(c));
    const code = await main(argv, { stdout, stderr, env: {} }, deps);
    return { code, text: Buffer.concat(out).toString() };
  };
}

describe('jit-audit activity <requestId> (DynamoDB Local)', () => {
  it('builds the summary when absent, stores it, and prints the stored one afterwards', async () => {
    const run = await setUp();
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [
        {
          EventName: 'PutObject',
          EventSource: 's3.amazonaws.com',
          EventTime: new Date('2026-11-27T09:30:00.000Z'),
          ReadOnly: 'false',
        },
      ],
    });

    const first = await run(['activity', 'r-1']);
    expect(first.code).toBe(EXIT.ok);
    expect(first.text).toContain(
      'Activity of r-1 (CloudTrail, 2026-11-27T09:00:00.000Z to 2026-11-27T10:00:00.000Z, looked up now)',
    );
    expect(first.text).toContain('1 calls (0 reads, 1 writes), 0 denied, 0 console sign-ins; s3 1.');

    const second = await run(['activity', 'r-1', '--format', 'json']);
    expect(second.code).toBe(EXIT.ok);
    expect(JSON.parse(second.text)).toMatchObject({
      requestId: 'r-1',
      built: false,
      summary: { calls: 1, writes: 1, byService: [['s3', 1]] },
    });
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it('says why a grant without a role session has no summary', async () => {
    const run = await setUp();
    const result = await run(['activity', 'g-1']);
    expect(result.code).toBe(EXIT.badInput);
    expect(result.text).toContain('no activity summary: dev-group issues no role session');
    expect((await run(['activity'])).code).toBe(EXIT.badInput);
  });
});
