import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CLI_CLIENT, EXIT, main } from '../../../functions/cli/jit.js';
import type { AccessPolicy } from '../../../shared/domain/policy.js';
import { activateGrant } from '../../../shared/usecases/activate-grant.js';
import { ManualClock, RecordingQueue } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import {
  API_KEYS,
  fakeSlackDirectory,
  requestApiOver,
  type ApiCallerName,
} from '../../support/request-api.js';
import { EMAILS, SLACK_TEST_POLICY } from '../slack/harness.js';

const POLICY: AccessPolicy = {
  ...SLACK_TEST_POLICY,
  api: {
    callers: {
      [API_KEYS.dev.arn]: 'UDEV1',
      [API_KEYS.lead.arn]: 'ULEAD1',
      [API_KEYS.lead2.arn]: 'ULEAD2',
      [API_KEYS.security.arn]: 'USEC1',
    },
    emailSessionRoles: [],
  },
};

const db = useLocalTables();
let api: ReturnType<typeof requestApiOver>;
let server: Server;
let url = '';

beforeAll(async () => {
  // A real HTTP server in front of the SigV4 gate, as the local runner serves it.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      void api
        .gate({
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', `http://${req.headers.host}`),
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        .then((r) => {
          res.writeHead(r.statusCode, r.headers);
          res.end(r.body);
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  api = requestApiOver({
    db: db(),
    policy: POLICY,
    // Now: credential_process checks Expiration against the wall clock.
    clock: new ManualClock(new Date()),
    queue: new RecordingQueue(),
    slackDirectory: fakeSlackDirectory(EMAILS, { SLEADS1: ['ULEAD3'] }),
  });
});

async function jitWith(sleep: () => Promise<void>, who: ApiCallerName, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const key = API_KEYS[who];
  const code = await main([...argv, '--url', url], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
    sleep,
  });
  return { code, stdout, stderr };
}

const jit = (who: ApiCallerName, ...argv: string[]) => jitWith(() => Promise.resolve(), who, ...argv);

async function activate(requestId: string) {
  await activateGrant(
    { ...api.api.grants, delivery: { deliver: async () => {}, deliverFailure: async () => {} } },
    { requestId, attempt: 1, maxAttempts: 3 },
  );
}

describe('jit', () => {
  it('requests, lists, approves and cancels, with exit codes a CI job can branch on', async () => {
    const requested = await jit('dev', 'request', 'dev-group', '--for', '1h', '--reason', 'logs');
    expect(requested).toMatchObject({
      code: EXIT.ok,
      stdout: expect.stringContaining('went to its approvers'),
    });
    const ls = await jit('dev', 'ls', '--json');
    expect(JSON.parse(ls.stdout)).toMatchObject({ pending: [{ id: 'req-0001', target: 'dev-group' }] });
    // The CLI declares itself (x-jit-client), so the trail names the cli channel.
    const audit = await db().doc.send(new ScanCommand({ TableName: db().names.audit, ConsistentRead: true }));
    const submitted = (audit.Items ?? []).find((e) => e.requestId === 'req-0001');
    expect(CLI_CLIENT).toMatch(/^cli\/\d+\.\d+\.\d+$/);
    expect(submitted?.detail).toMatchObject({ channel: 'cli', client: CLI_CLIENT });

    const refused = await jit('dev', 'request', 'dev-group', '--for', '9h', '--reason', 'x');
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toMatch(/^jit: /);

    expect((await jit('dev', 'approve', 'req-0001')).code).toBe(EXIT.refused);
    expect((await jit('lead', 'deny', 'req-0001', '--reason', 'no')).code).toBe(EXIT.ok);
    expect((await jit('dev', 'cancel', 'req-0001')).code).toBe(EXIT.refused);
  });

  it('requests a scheduled window, lists the approved grant as scheduled with its start (human and --json), and cancels it', async () => {
    const start = new Date(Date.now() + 86_400_000);
    start.setUTCHours(2, 0, 0, 0);
    const at = start.toISOString();
    const requested = await jit(
      'dev',
      'request',
      'dev-group',
      '--for',
      '2h',
      '--reason',
      'migration',
      '--start',
      at,
    );
    expect(requested.code).toBe(EXIT.ok);
    expect((await jit('lead', 'approve', 'req-0001')).code).toBe(EXIT.ok);

    const human = await jit('dev', 'ls');
    expect(human).toMatchObject({ code: EXIT.ok });
    expect(human.stdout.trim()).toBe(`later    req-0001  dev-group  scheduled, starts ${at} for 2h`);
    const json = JSON.parse((await jit('dev', 'ls', '--json')).stdout) as unknown;
    expect(json).toMatchObject({
      pending: [],
      live: [],
      scheduled: [{ id: 'req-0001', status: 'APPROVED', startsAt: at, durationSeconds: 7200 }],
    });

    expect(await jit('dev', 'cancel', 'req-0001')).toMatchObject({
      code: EXIT.ok,
      stdout: 'req-0001: cancelled (CANCELLED)\n',
    });
    expect((await jit('dev', 'ls')).stdout).toBe('No pending requests, live grants or scheduled grants.\n');
  });

  it('ls shows the ticket of each request as the ticket check found it (key, title, status, link)', async () => {
    api = requestApiOver({
      db: db(),
      policy: {
        ...POLICY,
        targets: POLICY.targets.map((t) =>
          t.id === 'dev-group'
            ? {
                ...t,
                ticket: {
                  system: 'jira',
                  mustBeOpen: true,
                  assignedToRequester: false,
                  endWhenClosed: false,
                  onUnreachable: 'refuse',
                },
              }
            : t,
        ),
      },
      clock: new ManualClock(new Date()),
      queue: new RecordingQueue(),
      slackDirectory: fakeSlackDirectory(EMAILS, {}),
      tickets: {
        find: (_rule, key) =>
          Promise.resolve({
            system: 'jira',
            key,
            title: 'Disk full\x1b[2J',
            status: 'In Progress',
            open: true,
            url: `https://jira.example.com/browse/${key}`,
          }),
      },
    });
    await jit('dev', 'request', 'dev-group', '--reason', 'logs', '--ticket', 'OPS-7');

    const human = await jit('dev', 'ls');
    expect(human.stdout).toContain(
      'ticket OPS-7 Disk full [2J · In Progress · https://jira.example.com/browse/OPS-7',
    );
    expect(human.stdout).not.toContain('\x1b');
    const json = JSON.parse((await jit('dev', 'ls', '--json')).stdout) as unknown;
    expect(json).toMatchObject({
      pending: [
        {
          id: 'req-0001',
          ticket: 'OPS-7',
          ticketInfo: {
            system: 'jira',
            title: 'Disk full\x1b[2J',
            status: 'In Progress',
            url: 'https://jira.example.com/browse/OPS-7',
          },
        },
      ],
    });
  });

  it('--wait gives up with exit 4 while the request is still pending', async () => {
    await jit('dev', 'request', 'dev-group', '--reason', 'x');
    await jit('lead', 'deny', 'req-0001', '--reason', 'no');
    // A second request nobody answers: the wait gives up.
    const waited = await jit(
      'dev',
      'request',
      'dev-group',
      '--reason',
      'y',
      '--wait',
      '--wait-timeout',
      '1s',
      '--poll',
      '1s',
    );
    expect(waited.code).toBe(EXIT.waitTimedOut);
    expect(waited.stderr).toContain('waiting for dev-group (PENDING');
  });

  it('--wait returns 0 once the grant is active', async () => {
    // Auto-approved; the grant worker activates it while the CLI waits.
    const result = await jitWith(
      () => activate('req-0001'),
      'dev',
      'request',
      'sandbox',
      '--wait',
      '--poll',
      '1s',
    );
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('sandbox is ACTIVE until');
  });

  it('creds --credential-process prints the credential_process JSON, and says why not without a grant', async () => {
    const none = await jit('dev', 'creds', 'prod-role', '--credential-process');
    expect(none.code).toBe(EXIT.refused);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no active grant of prod-role');

    await jit('dev', 'request', 'prod-role', '--reason', 'incident', '--ticket', 'OPS-1');
    await jit('lead', 'approve', 'req-0001');
    await jit('lead2', 'approve', 'req-0001');
    await activate('req-0001');
    const creds = await jit('dev', 'creds', 'prod-role', '--credential-process');
    expect(creds.code).toBe(EXIT.ok);
    expect(JSON.parse(creds.stdout)).toEqual({
      Version: 1,
      AccessKeyId: expect.any(String),
      SecretAccessKey: expect.any(String),
      SessionToken: expect.any(String),
      Expiration: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });
});

describe('jit revoke', () => {
  it('ends someone else’s grant for an approver of its target, and refuses anyone else (exit 2)', async () => {
    await jit('dev', 'request', 'dev-group', '--reason', 'logs');
    await jit('lead', 'approve', 'req-0001');
    await activate('req-0001');

    expect(await jit('lead', 'revoke', 'req-0001')).toMatchObject({
      code: EXIT.error,
      stderr: expect.stringContaining('--reason is required'),
    });
    const refused = await jit('dev', 'revoke', 'req-0001', '--reason', 'mine');
    expect(refused).toMatchObject({ code: EXIT.refused, stderr: expect.stringContaining('Only approvers') });

    const revoked = await jit('lead', 'revoke', 'req-0001', '--reason', 'left the team', '--json');
    expect(revoked.code).toBe(EXIT.ok);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ outcome: 'revoke-requested', as: 'approver' });
    expect((await api.requests.store.get('req-0001'))?.endRequest).toMatchObject({
      kind: 'revoke',
      by: 'ULEAD1',
      reason: 'left the team',
    });
  });

  it('--person ends all of a person’s grants (by email or id), for the security set only', async () => {
    await jit('dev', 'request', 'dev-group', '--reason', 'logs');
    await jit('lead', 'approve', 'req-0001');
    await activate('req-0001');

    const lead = await jit('lead', 'revoke', '--person', 'UDEV1', '--reason', 'incident');
    expect(lead).toMatchObject({
      code: EXIT.refused,
      stderr: expect.stringContaining('Only the security set'),
    });
    expect(await jit('security', 'revoke', 'req-0001', '--person', 'UDEV1', '--reason', 'x')).toMatchObject({
      code: EXIT.error,
    });

    const none = await jit(
      'security',
      'revoke',
      '--person',
      'UDEV1',
      '--target',
      'prod-role',
      '--reason',
      'x',
    );
    expect(none).toMatchObject({ code: EXIT.ok, stdout: 'UDEV1 holds no live grant on prod-role.\n' });
    const all = await jit('security', 'revoke', '--person', 'dev.one@example.com', '--reason', 'compromised');
    expect(all.code).toBe(EXIT.ok);
    expect(all.stdout).toContain('1 live grant of dev.one@example.com being revoked');
    expect(all.stdout).toContain('req-0001  dev-group');
    expect((await api.requests.store.get('req-0001'))?.endRequest).toMatchObject({
      kind: 'revoke',
      by: 'USEC1',
    });
  });
});

describe('credential_process through the AWS SDK', () => {
  it('a profile with credential_process = jit creds … gets the grant credentials, and fails clearly without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-cp-'));
    const saved = { ...process.env };
    try {
      const bin = resolve('bin/jit.js');
      writeFileSync(
        join(dir, 'config'),
        `[profile prod]\ncredential_process = node ${bin} creds prod-role --credential-process --url ${url}\n`,
      );
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      // What the jit child signs with: the developer's own (normal) AWS credentials.
      process.env.AWS_ACCESS_KEY_ID = API_KEYS.dev.id;
      process.env.AWS_SECRET_ACCESS_KEY = API_KEYS.dev.secret;
      delete process.env.AWS_SESSION_TOKEN;
      delete process.env.AWS_PROFILE;

      await expect(fromProcess({ profile: 'prod' })()).rejects.toThrow();

      await jit('dev', 'request', 'prod-role', '--reason', 'incident', '--ticket', 'OPS-1');
      await jit('lead', 'approve', 'req-0001');
      await jit('lead2', 'approve', 'req-0001');
      await activate('req-0001');
      const credentials = await fromProcess({ profile: 'prod' })();
      expect(credentials.accessKeyId).toMatch(/\S/);
      expect(credentials.sessionToken).toMatch(/\S/);
      expect(credentials.expiration).toBeInstanceOf(Date);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
