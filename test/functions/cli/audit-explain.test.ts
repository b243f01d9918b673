import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { DynamoPolicyVersions, policyVersionKey } from '../../../shared/adapters/dynamodb/policy-versions.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { policyVersionOf, type PolicyVersion } from '../../../shared/domain/provenance.js';
import { approveRequest, denyRequest } from '../../../shared/usecases/approve-request.js';
import type { RequestDeps } from '../../../shared/usecases/deps.js';
import { keptPolicyVersion } from '../../../shared/usecases/policy-provenance.js';
import { submitRequest } from '../../../shared/usecases/submit-request.js';
import { EXIT, main, type CliDeps } from '../../../functions/cli/audit.js';
import {
  ManualClock,
  person,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  silentLogger,
  TEST_POLICY_YAML,
} from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const clock = new ManualClock('2026-03-01T09:00:00Z');

/** Version 2 of the policy: developers may no longer ask for prod-role. */
const POLICY_V2 = TEST_POLICY_YAML.replace('requesters: [devs, oncall]', 'requesters: [oncall]');

function depsUnder(version: PolicyVersion, ids: SequentialIds): RequestDeps {
  const policy = parsePolicy(version.text, 'test');
  return {
    store: db().requests,
    audit: db().audit,
    policy: { current: () => policy },
    clock,
    ids,
    events: new RecordingPublisher(),
    queue: new RecordingQueue(),
    logger: silentLogger,
    provenance: keptPolicyVersion(new DynamoPolicyVersions(db().doc, db().names.audit, clock), version),
  };
}

function cliDeps(): CliDeps {
  return {
    reader: new DynamoAuditQuery(db().doc, db().names.audit),
    clock: new ManualClock('2026-03-02T00:00:00Z'),
    versions: new DynamoPolicyVersions(db().doc, db().names.audit),
  };
}

async function run(argv: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => out.push(c));
  const code = await main(argv, { stdout, stderr, env }, cliDeps());
  return { code, text: Buffer.concat(out).toString() };
}

/** A prod-role request by UDEV1, approved by two leads, all under policy v1. */
async function approvedUnderV1(v1: PolicyVersion, ids: SequentialIds): Promise<string> {
  const deps = depsUnder(v1, ids);
  const submitted = await submitRequest(deps, {
    requester: person('UDEV1'),
    principal: 'dev1',
    targetId: 'prod-role',
    reason: 'hotfix',
    ticket: 'INC-1',
  });
  if (submitted.outcome === 'refused') throw new Error(submitted.message);
  const id = submitted.request.id;
  await approveRequest(deps, { requestId: id, approver: person('ULEAD1') });
  await approveRequest(deps, { requestId: id, approver: person('ULEAD2', ['SLEADS']) });
  return id;
}

describe('jit-audit explain (decision provenance)', () => {
  it('reproduces an old decision against the policy in force then, after the policy changed', async () => {
    const ids = new SequentialIds();
    const v1 = policyVersionOf(TEST_POLICY_YAML);
    const v2 = policyVersionOf(POLICY_V2);
    const id = await approvedUnderV1(v1, ids);
    // The policy changes: the same request is now refused.
    const refusedNow = await submitRequest(depsUnder(v2, ids), {
      requester: person('UDEV1'),
      principal: 'dev1',
      targetId: 'prod-role',
      reason: 'again',
      ticket: 'INC-2',
    });
    expect(refusedNow).toMatchObject({ outcome: 'refused', reason: 'not-eligible' });
    const dir = mkdtempSync(join(tmpdir(), 'explain-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY_V2);

    const { code, text } = await run(['explain', id], { POLICY_PATH: join(dir, 'policy.yaml') });

    expect(text).toContain(`policy in force: sha256 ${v1.sha256}`);
    expect(text).toContain('UDEV1 in requesters [devs, oncall]: yes, through "devs"');
    expect(text).toContain('approval rule: 2 approval(s) from [leads]');
    expect(text).toContain(
      'replayed: allowed (requires-approval); recorded: allowed (requires-approval) → reproduced',
    );
    expect(text).toContain(
      'replayed: allowed (approvals-complete); recorded: allowed (approvals-complete) → reproduced',
    );
    expect(text).toContain('allowed (approval-recorded); recorded: allowed (approval-recorded) → reproduced');
    expect(text).toContain('under the current policy');
    expect(text).toContain('refused (not-eligible)');
    expect(text).toContain(`REPRODUCED: all 3 decisions of ${id}`);
    expect(code).toBe(EXIT.ok);
  });

  it('records the policy hash and the rule on every decision event, and keeps the version once', async () => {
    const ids = new SequentialIds();
    const v1 = policyVersionOf(TEST_POLICY_YAML);
    const deps = depsUnder(v1, ids);
    const submitted = await submitRequest(deps, {
      requester: person('UDEV2'),
      principal: 'dev2',
      targetId: 'dev-group',
      reason: 'debug',
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    await denyRequest(deps, { requestId: submitted.request.id, approver: person('ULEAD3'), reason: 'no' });
    const events = [];
    for await (const e of cliDeps().reader.stream({ requestId: submitted.request.id }, clock.now()))
      events.push(e);
    expect(
      events.map((e) => [e.type, e.detail?.policySha256, e.detail?.ruleTarget, e.detail?.ruleStage]),
    ).toEqual([
      ['request.denied', v1.sha256, 'dev-group', 'denial'],
      ['request.submitted', v1.sha256, 'dev-group', 'request'],
    ]);
    expect(await new DynamoPolicyVersions(db().doc, db().names.audit).get(v1.sha256)).toBe(TEST_POLICY_YAML);
    const { code, text } = await run(['explain', submitted.request.id]);
    expect(text).toContain('ULEAD3 in approvers [leads]: yes, through "leads"');
    expect(code).toBe(EXIT.ok);
  });

  it('refuses to replay a kept policy whose text no longer matches its hash', async () => {
    const ids = new SequentialIds();
    const v1 = policyVersionOf(TEST_POLICY_YAML);
    const id = await approvedUnderV1(v1, ids);
    const forged = policyVersionOf(POLICY_V2);
    await db().doc.send(
      new UpdateCommand({
        TableName: db().names.audit,
        Key: policyVersionKey(v1.sha256),
        UpdateExpression: 'SET textGzip = :t',
        ExpressionAttributeValues: { ':t': (await import('node:zlib')).gzipSync(forged.text) },
      }),
    );
    const { code, text } = await run(['explain', id]);
    expect(text).toContain(`policy ${v1.sha256} is not kept: not replayable`);
    expect(text).toContain('UNKNOWN: 3 of 3 decisions cannot be replayed.');
    expect(code).toBe(EXIT.ok);
  });

  it('needs a request id', async () => {
    const { code, text } = await run(['explain']);
    expect(code).toBe(EXIT.badInput);
    expect(text).toContain('explain needs a request id');
  });
});
