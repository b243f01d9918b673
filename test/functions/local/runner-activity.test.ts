import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/config.js';
import { startLocalBroker, type LocalBroker } from '../../../functions/local/runner.js';
import { playScenario } from '../../../functions/local/scenario.js';

describe('the local runner summarises what was done with an ended role grant (sandbox CloudTrail)', () => {
  let broker: LocalBroker;
  let offsetSeconds = 0;
  const signingSecret = 'activity-signing-secret-0123456789';
  const now = () => new Date(Date.now() + offsetSeconds * 1000);

  beforeAll(async () => {
    const config = readLocalConfig({
      PORT: '0',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      TABLE_PREFIX: `act-${randomUUID().slice(0, 8)}-`,
      SLACK_SIGNING_SECRET: signingSecret,
      SWEEP_INTERVAL_SECONDS: '3600',
      LOCAL_QUIET: 'true',
    });
    broker = await startLocalBroker({ config, clock: { now } });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('stores the summary when the sweeper ends the role grant, and posts it in the grant’s thread', async () => {
    let sessionName: string | undefined;
    await playScenario(
      {
        url: broker.url,
        signingSecret,
        advanceClock: (seconds) => {
          offsetSeconds += seconds;
        },
      },
      (step) => {
        if (step.name !== 'credentials') return;
        // The holder uses the session: its calls as CloudTrail would record them.
        const session = broker.sandbox?.state().sessions.at(-1);
        if (!session || !broker.cloudTrail) throw new Error('no sandbox session or CloudTrail');
        sessionName = session.roleSessionName;
        const call = (eventSource: string, eventName: string, extra: object = {}) =>
          broker.cloudTrail?.record({
            account: '111122223333',
            sessionName: session.roleSessionName,
            sourceIdentity: session.sourceIdentity,
            eventSource,
            eventName,
            at: now(),
            ...extra,
          });
        call('signin.amazonaws.com', 'ConsoleLogin', { readOnly: false });
        call('rds.amazonaws.com', 'DescribeDBInstances', { readOnly: true });
        call('secretsmanager.amazonaws.com', 'RotateSecret', { readOnly: false });
        call('iam.amazonaws.com', 'DeleteRole', { readOnly: false, errorCode: 'AccessDenied' });
      },
    );
    // The session name is `<principal>@<grant id>` (the principal is an email here).
    const requestId = sessionName?.slice(sessionName.lastIndexOf('@') + 1);
    expect(requestId).toBeDefined();

    // The scenario's expiry sweep ended the role grant; the sandbox trail needs no settling.
    await broker.sweepNow();
    const response = await fetch(`${broker.url}/audit/events?requestId=${requestId}&limit=100`);
    const { items } = (await response.json()) as {
      items: { type: string; detail?: Record<string, unknown> }[];
    };
    const summaries = items.filter((e) => e.type === 'grant.activity-summarised');
    expect(summaries).toHaveLength(1);
    // The sandbox's own AssumeRole for the session, and the four calls of the holder.
    expect(summaries[0]?.detail).toMatchObject({
      calls: 5,
      reads: 1,
      writes: 4,
      denied: 1,
      consoleSignIns: 1,
      truncated: false,
    });
    expect(String(summaries[0]?.detail?.services).split(',').sort()).toEqual([
      'iam:1',
      'rds:1',
      'secretsmanager:1',
      'signin:1',
      'sts:1',
    ]);
    const posts = broker.slack?.calls.filter(
      (c) => c.method === 'chat.postMessage' && String(c.args.text).includes('5 calls (1 reads, 4 writes)'),
    );
    // A reply in each of the grant's threads (its approval post and the security channel's).
    expect(posts?.length).toBeGreaterThan(0);
    for (const post of posts ?? []) expect(post.args.thread_ts).toEqual(expect.any(String));
  }, 120_000); // the whole scenario, on a shared loaded machine
});
