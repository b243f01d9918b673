import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOperationError } from '../../shared/domain/grant-ports.js';
import { CONSOLE_LINK_UNAVAILABLE, issueCredentials } from '../../shared/usecases/issue-credentials.js';
import type { InMemoryAuditLog } from '../support/fakes.js';
import type { FakeConsoleLinks } from '../support/fake-aws.js';
import { grantRecord, grantWorld, throttled, withRealAwsAdapters } from '../support/fake-aws.js';

const sts = mockClient(STSClient);
afterEach(() => sts.reset());

const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T09:40:00.000Z';
const JOB = {
  kind: 'issue-credentials',
  requestId: 'req-1',
  requester: 'UDEV1',
  replyTo: 'slack-view:V1',
} as const;

async function seeded(fields: Partial<Parameters<typeof grantRecord>[0]> = {}) {
  const world = grantWorld();
  const grant = grantRecord({
    id: 'req-1',
    targetId: 'prod-role',
    status: 'ACTIVE',
    startsAt: START,
    endsAt: END,
    ...fields,
  });
  await world.store.create(grant, {
    type: 'grant.activated',
    at: START,
    actor: 'x',
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId: 'req-1',
    breakGlass: false,
  });
  return world;
}

describe('issueCredentials', () => {
  it('assumes the role with SourceIdentity, tags, session name, remaining duration and the end-of-grant session policy', async () => {
    const w = await withRealAwsAdapters(await seeded());
    w.clock.set('2026-11-27T09:10:00.000Z');
    sts.on(AssumeRoleCommand).resolves({
      $metadata: { requestId: 'sts-77' },
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 's3cr3t',
        SessionToken: 'tok',
        Expiration: new Date('2026-11-27T09:40:00Z'),
      },
    });
    const result = await issueCredentials(w.deps, JOB);
    expect(result).toEqual({ outcome: 'issued', durationSeconds: 1800 });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
        RoleSessionName: 'alice@req-1',
        SourceIdentity: 'alice',
        DurationSeconds: 1800,
        Tags: [
          { Key: 'jit-grant-id', Value: 'req-1' },
          { Key: 'jit-requester', Value: 'alice' },
          { Key: 'jit-slack-user', Value: 'UDEV1' },
        ],
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'JitGrantWindow',
              Effect: 'Allow',
              Action: '*',
              Resource: '*',
              Condition: { DateLessThan: { 'aws:CurrentTime': '2026-11-27T09:40:00Z' } },
            },
          ],
        }),
      },
    ]);
    expect(w.delivery.delivered).toHaveLength(1);
    expect(w.delivery.delivered[0]?.credentials).toMatchObject({
      accessKeyId: 'ASIA1',
      consoleUrl: expect.stringContaining('for-ASIA1'),
    });
    // The link's hosts follow the role's partition (arn:aws:…).
    expect((w.deps.consoleLinks as FakeConsoleLinks).partitions).toEqual(['aws']);
    const event = (w.audit as InMemoryAuditLog).events.at(-1);
    expect(event).toMatchObject({ type: 'session.issued', actor: 'UDEV1', awsRequestId: 'sts-77' });
    // Why: the trail records that a session was issued, never its secrets.
    expect(JSON.stringify(event)).not.toMatch(/s3cr3t|tok"|ASIA1/);
  });

  it('asks STS for its 900 s minimum when less remains (the session policy still ends it on time)', async () => {
    const w = await seeded();
    w.clock.set('2026-11-27T09:35:00.000Z');
    await issueCredentials(w.deps, JOB);
    expect(w.sessions.requests[0]?.durationSeconds).toBe(900);
    expect(w.sessions.requests[0]?.policy.Statement[0]?.Condition?.DateLessThan?.['aws:CurrentTime']).toBe(
      '2026-11-27T09:40:00Z',
    );
  });

  it.each([
    {
      description: 'someone else than the requester',
      job: { ...JOB, requester: 'UDEV2' },
      fields: {},
      message: /Only the person/,
    },
    {
      description: 'a grant that is not ACTIVE',
      job: JOB,
      fields: { status: 'REVOKED' as const },
      message: /REVOKED/,
    },
    {
      description: 'a group grant',
      job: JOB,
      fields: { targetId: 'dev-group', targetKind: 'group' as const },
      message: /group membership/,
    },
    {
      description: 'an ended window',
      job: JOB,
      fields: { endsAt: '2026-11-27T09:00:30.000Z' },
      message: /ended/,
    },
    {
      description: 'an unknown grant',
      job: { ...JOB, requestId: 'nope' },
      fields: {},
      message: /does not exist/,
    },
    {
      description: 'a grant whose target is no longer in the policy',
      job: JOB,
      fields: { targetId: 'retired-role', targetKind: 'role' as const },
      message: /retired-role is no longer a role/,
    },
    {
      description: 'a grant still being set up',
      job: JOB,
      fields: { status: 'APPROVED' as const },
      message: /being set up/,
    },
  ])('refuses $description, privately, and mints nothing', async ({ job, fields, message }) => {
    const w = await seeded(fields);
    w.clock.set('2026-11-27T09:01:00.000Z');
    const result = await issueCredentials(w.deps, job);
    expect(result.outcome).toBe('refused');
    expect(w.sessions.requests).toHaveLength(0);
    expect(w.delivery.failures[0]?.message).toMatch(message);
  });

  it('hands out nothing when the grant was revoked while STS was minting', async () => {
    const w = await seeded();
    w.sessions.onAssume = async () => {
      const current = await w.store.get('req-1');
      if (current) {
        await w.store.transition(current, {
          to: 'REVOKED',
          at: w.clock.now(),
          audit: {
            type: 'grant.revoked',
            at: START,
            actor: 'UADMIN',
            subject: 'UDEV1',
            targetId: 'prod-role',
            requestId: 'req-1',
            breakGlass: false,
          },
        });
      }
    };
    const result = await issueCredentials(w.deps, JOB);
    expect(result.outcome).toBe('refused');
    expect(w.delivery.delivered).toHaveLength(0);
  });

  it('tells the requester when STS fails', async () => {
    const w = await seeded();
    w.sessions.nextError = throttled('sts:AssumeRole');
    expect((await issueCredentials(w.deps, JOB)).outcome).toBe('failed');
    expect(w.delivery.failures[0]?.message).toMatch(/try again/);
  });
});

describe('issueCredentials when the console sign-in link fails', () => {
  it('still audits and delivers the CLI credentials STS issued, with a note that the link is unavailable', async () => {
    const w = await seeded();
    w.clock.set('2026-11-27T09:10:00.000Z');
    const deps = {
      ...w.deps,
      consoleLinks: {
        signInUrl: () =>
          Promise.reject(
            new AwsOperationError('signin:getSigninToken', 'no reply from the federation endpoint', {
              transient: true,
            }),
          ),
      },
    };

    const result = await issueCredentials(deps, JOB);

    expect(result).toMatchObject({ outcome: 'issued', consoleLinkError: CONSOLE_LINK_UNAVAILABLE });
    expect(w.delivery.failures).toHaveLength(0);
    expect(w.delivery.delivered).toHaveLength(1);
    const delivered = w.delivery.delivered[0]?.credentials;
    expect(delivered).toMatchObject({
      accessKeyId: expect.any(String),
      consoleLinkError: CONSOLE_LINK_UNAVAILABLE,
    });
    expect(delivered?.consoleUrl).toBeUndefined();
    const issued = (w.audit as InMemoryAuditLog).events.filter((e) => e.type === 'session.issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]?.detail).toMatchObject({ consoleLink: false });
  });
});
