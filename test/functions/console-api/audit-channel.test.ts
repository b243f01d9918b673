import { describe, expect, it } from 'vitest';
import { auditChannelOf } from '../../../functions/console-api/audit-channel.js';
import type { ConsoleCaller } from '../../../functions/console-api/caller.js';
import { routeConsoleApi, type ConsoleApiDeps } from '../../../functions/console-api/routes.js';
import type { AuditDetail, AuditEventInput } from '../../../shared/domain/audit.js';
import { parsePerson } from '../../../shared/domain/person.js';
import { fakeWorld, TEST_POLICY_YAML } from '../../support/fakes.js';
import { InMemoryAuditReader } from '../../support/in-memory-audit-reader.js';

const CLI_ARN = 'arn:aws:iam::111122223333:user/ci';

describe('the channel of an audit event', () => {
  it.each([
    { actor: 'system:sweeper', detail: undefined, channel: 'system', why: 'the broker itself' },
    {
      actor: 'UDEV1',
      detail: undefined,
      channel: 'slack',
      why: 'a Slack person, untagged (Slack listeners)',
    },
    { actor: 'UDEV1', detail: { channel: 'slack' }, channel: 'slack', why: 'tagged slack' },
    { actor: 'UDEV1', detail: { channel: 'api' }, channel: 'api', why: 'a mapped API caller' },
    {
      actor: `cli:${CLI_ARN}`,
      detail: { channel: 'api' },
      channel: 'cli',
      why: 'an old event of a principal acting as itself (no declared client)',
    },
    {
      actor: 'UDEV1',
      detail: { channel: 'cli', client: 'cli/0.1.0' },
      channel: 'cli',
      why: 'a mapped caller through the jit CLI',
    },
    {
      actor: `cli:${CLI_ARN}`,
      detail: { channel: 'api', client: 'undeclared' },
      channel: 'api',
      why: 'a principal acting as itself without the CLI',
    },
    {
      actor: `cli:${CLI_ARN}`,
      detail: { channel: 'cli', client: 'cli/0.1.0' },
      channel: 'cli',
      why: 'a principal acting as itself through the jit CLI',
    },
    {
      actor: 'oidc:a@example.com',
      detail: { channel: 'console' },
      channel: 'console',
      why: 'tagged console',
    },
    { actor: 'oidc:a@example.com', detail: undefined, channel: 'console', why: 'an OIDC person, untagged' },
  ] as const)('$why → $channel', ({ actor, detail, channel }) => {
    expect(auditChannelOf({ actor, ...(detail ? { detail: detail as AuditDetail } : {}) })).toBe(channel);
  });
});

describe('the audit explorer’s channel filter', () => {
  function setUp() {
    const world = fakeWorld(
      TEST_POLICY_YAML.replace('people:\n', 'people:\n  auditors: { users: [UAUD1] }\n'),
    );
    const deps: ConsoleApiDeps = {
      request: world.deps,
      reader: new InMemoryAuditReader(() => world.audit.events) as unknown as ConsoleApiDeps['reader'],
    };
    const as = (key: string): ConsoleCaller => ({
      person: parsePerson(key),
      directory: {
        providers: ['slack', 'oidc'],
        emailOf: async (p) => (p.provider === 'oidc' ? p.id : `${p.id.toLowerCase()}@example.com`),
        groupsOf: async () => [],
      },
    });
    const event = (actor: string, detail?: Record<string, string>): AuditEventInput => ({
      type: 'request.submitted',
      at: world.clock.now().toISOString(),
      actor,
      subject: actor,
      targetId: 'sandbox',
      requestId: `R-${actor}`,
      breakGlass: false,
      ...(detail ? { detail } : {}),
    });
    return { world, deps, as, event };
  }

  it('filters a page by channel; the console’s own writes are tagged console', async () => {
    const { world, deps, as, event } = setUp();
    world.audit.appendNow(event('UDEV1'));
    world.audit.appendNow(event('system:sweeper'));
    world.audit.appendNow(event(`cli:${CLI_ARN}`, { channel: 'api' }));
    // A submission through the console API itself.
    const submitted = await routeConsoleApi(deps, {
      method: 'POST',
      path: '/requests',
      query: {},
      body: { targetId: 'sandbox' },
      caller: as('UDEV2'),
    });
    expect(submitted).toMatchObject({ status: 201 });
    world.clock.advance(1);

    const page = async (channel?: string) => {
      const answer = await routeConsoleApi(deps, {
        method: 'GET',
        path: '/audit/events',
        query: { target: 'sandbox', ...(channel ? { channel } : {}) },
        caller: as('UAUD1'),
      });
      const body = (answer as { body: { items: { actor: string; channel: string }[] } }).body;
      return body.items.map((e) => `${e.channel} ${e.actor}`);
    };
    expect(await page('console')).toEqual(expect.arrayContaining(['console UDEV2']));
    expect((await page('console')).every((line) => line.startsWith('console '))).toBe(true);
    expect(await page('cli')).toEqual([`cli cli:${CLI_ARN}`]);
    // The broker's own steps (the auto-approval of the console's request too) are system.
    expect(await page('system')).toEqual(
      expect.arrayContaining(['system system:sweeper', 'system system:auto-approval']),
    );
    expect(await page('slack')).toEqual(['slack UDEV1']);
    expect((await page()).length).toBeGreaterThanOrEqual(4);
  });

  it('filters the export by channel and refuses an unknown channel with a 400', async () => {
    const { world, deps, as, event } = setUp();
    world.audit.appendNow(event('UDEV1'));
    world.audit.appendNow(event('system:sweeper'));
    world.clock.advance(1);
    const answer = await routeConsoleApi(deps, {
      method: 'GET',
      path: '/audit/export',
      query: { target: 'sandbox', channel: 'system' },
      caller: as('UAUD1'),
    });
    const actors: string[] = [];
    for await (const e of (answer as { events: AsyncIterable<{ actor: string }> }).events)
      actors.push(e.actor);
    expect(actors).toEqual(['system:sweeper']);
    await expect(
      routeConsoleApi(deps, {
        method: 'GET',
        path: '/audit/events',
        query: { target: 'sandbox', channel: 'fax' },
        caller: as('UAUD1'),
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
