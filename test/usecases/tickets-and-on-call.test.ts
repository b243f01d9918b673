import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { approvalMessage } from '../../shared/adapters/slack/views/messages.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import {
  onCallRosterFromEnv,
  ticketSystemsFromEnv,
} from '../../shared/adapters/tickets/integration-settings.js';
import { slackPerson, type ResolvedPerson } from '../../shared/domain/person.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { decideTicket, type TicketLookup, type TicketRule } from '../../shared/domain/tickets.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { breakGlass } from '../../shared/usecases/break-glass.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { resolvePerson } from '../../shared/usecases/identify-person.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { grantWorld } from '../support/fake-aws.js';
import {
  ManualClock,
  RecordingPublisher,
  RecordingQueue,
  SequentialIds,
  silentLogger,
  staticPolicy,
} from '../support/fakes.js';
import { startIntegrationStandIn, type IntegrationStandIn } from '../support/integration-stand-in.js';
import { useLocalTables } from '../support/local-dynamo.js';

const POLICY = `
version: 1
people:
  devs: { users: [UDEV1, UDEV2] }
  leads: { users: [ULEAD1] }
  sre-oncall: { onCall: { provider: pagerduty, schedules: [PSCHED1], grantsEndWithShift: true } }
  ops-oncall: { onCall: { provider: opsgenie, schedules: [ops-primary] } }
  security: { users: [USEC1] }
breakGlass: { responders: [sre-oncall], reviewers: [security], securityChannel: CSEC1, maxDuration: 2h }
targets:
  - id: prod-jira
    kind: group
    groupName: jit-prod
    description: Prod through Jira
    requesters: [devs]
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 4h
    requireTicket: true
    ticket: { system: jira, assignedToRequester: true, endWhenClosed: true, onUnreachable: refuse }
  - id: prod-snow
    kind: group
    groupName: jit-prod-snow
    description: Prod through ServiceNow
    requesters: [devs]
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 4h
    requireTicket: true
    ticket: { system: servicenow, table: incident, onUnreachable: allow-with-warning }
  - id: prod-change
    kind: group
    groupName: jit-prod-change
    description: Prod through a ServiceNow change
    requesters: [devs]
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 4h
    requireTicket: true
    ticket: { system: servicenow, table: change_request, onUnreachable: refuse }
  - id: oncall-ops
    kind: group
    groupName: jit-ops
    description: Ops for whoever is on call
    requesters: [devs]
    approvers: [leads]
    autoApproveFor: [sre-oncall]
    defaultDuration: 2h
    maxDuration: 4h
    breakGlass: true
  - id: genie-ops
    kind: group
    groupName: jit-genie-ops
    description: Ops for whoever is on call in Opsgenie
    requesters: [devs]
    approvers: [leads]
    autoApproveFor: [ops-oncall]
    defaultDuration: 2h
    maxDuration: 4h
  - id: prod-glass
    kind: group
    groupName: jit-prod-glass
    description: Prod, with break-glass and a Jira ticket
    requesters: [devs]
    approvers: [leads]
    defaultDuration: 1h
    maxDuration: 4h
    requireTicket: true
    breakGlass: true
    ticket: { system: jira, assignedToRequester: true, endWhenClosed: true, onUnreachable: refuse }
`;

const START = '2026-11-27T09:00:00.000Z';
const db = useLocalTables();
let standIn: IntegrationStandIn;
beforeAll(async () => {
  standIn = await startIntegrationStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.faults.jira = 'ok';
  standIn.faults.servicenow = 'ok';
  standIn.faults.pagerduty = 'ok';
  standIn.faults.opsgenie = 'ok';
  standIn.tickets.clear();
  standIn.tickets.set('OPS-1', {
    key: 'OPS-1',
    title: 'Disk full',
    status: 'In Progress',
    closed: false,
    assigneeEmail: 'dev1@example.com',
  });
  standIn.tickets.set('OPS-2', {
    key: 'OPS-2',
    title: 'Old',
    status: 'Done',
    closed: true,
    assigneeEmail: 'dev1@example.com',
  });
  standIn.tickets.set('INC0010001', { key: 'INC0010001', title: 'Outage', status: '2', closed: false });
  standIn.schedules.set('PSCHED1', [{ email: 'dev2@example.com', end: '2026-11-27T09:30:00Z' }]);
  standIn.schedules.set('ops-primary', [{ email: 'dev2@example.com', end: null }]);
});

function env(deadlineMs = 5000) {
  return {
    JIRA_BASE_URL: standIn.url,
    JIRA_TOKEN: 'j',
    SERVICENOW_BASE_URL: standIn.url,
    SERVICENOW_TOKEN: 's',
    PAGERDUTY_BASE_URL: standIn.url,
    PAGERDUTY_TOKEN: 'p',
    OPSGENIE_BASE_URL: standIn.url,
    OPSGENIE_API_KEY: 'o',
    INTEGRATION_DEADLINE_MS: String(deadlineMs),
  };
}

function world(deadlineMs = 5000) {
  const clock = new ManualClock(START);
  const policy = parsePolicy(POLICY, 'test');
  const tickets = ticketSystemsFromEnv(env(deadlineMs), { now: () => clock.now().getTime() });
  const queue = new RecordingQueue();
  const deps: RequestDeps = {
    store: db().requests,
    audit: db().audit,
    policy: staticPolicy(policy),
    clock,
    ids: new SequentialIds(),
    events: new RecordingPublisher(),
    queue,
    logger: silentLogger,
    tickets,
  };
  const grant = grantWorld({ store: db().requests, audit: db().audit, clock, policyYaml: POLICY });
  return { deps, clock, queue, grant: { ...grant, deps: { ...grant.deps, tickets } } };
}

const dev1: ResolvedPerson = { person: slackPerson('UDEV1'), email: 'dev1@example.com', groups: [] };
const ask = (targetId: string, ticket: string, who: ResolvedPerson = dev1) => ({
  requester: who,
  principal: who.email ?? 'x',
  targetId,
  ticket,
  reason: 'fix it',
});

async function auditTypes(requestId?: string, targetId = 'prod-jira'): Promise<AuditEvent[]> {
  const reader = new DynamoAuditQuery(db().doc, db().names.audit);
  const events: AuditEvent[] = [];
  const filter = requestId === undefined ? { targetId } : { requestId };
  for await (const event of reader.stream(filter, new Date('2026-11-28T00:00:00Z'))) events.push(event);
  return events.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
}

describe('decideTicket (decision table)', () => {
  const rule: TicketRule = {
    system: 'jira',
    mustBeOpen: true,
    assignedToRequester: true,
    endWhenClosed: false,
    onUnreachable: 'refuse',
  };
  const facts = { system: 'jira' as const, key: 'OPS-1', title: 't', status: 'In Progress', url: 'u' };
  const cases: [string, Partial<TicketRule>, TicketLookup, string][] = [
    [
      'open and assigned to the requester',
      {},
      { kind: 'found', ticket: { ...facts, open: true, assigneeEmail: 'DEV1@example.com' } },
      'ticket-verified',
    ],
    [
      'closed',
      {},
      { kind: 'found', ticket: { ...facts, open: false, status: 'Done', assigneeEmail: 'dev1@example.com' } },
      'ticket-closed',
    ],
    [
      'closed but the rule does not ask for open',
      { mustBeOpen: false, assignedToRequester: false },
      { kind: 'found', ticket: { ...facts, open: false } },
      'ticket-verified',
    ],
    [
      'assigned to someone else',
      {},
      { kind: 'found', ticket: { ...facts, open: true, assigneeEmail: 'x@example.com' } },
      'ticket-not-assigned',
    ],
    [
      'assignee unknown (fails closed)',
      {},
      { kind: 'found', ticket: { ...facts, open: true } },
      'ticket-not-assigned',
    ],
    ['missing', {}, { kind: 'not-found' }, 'ticket-not-found'],
    [
      'unreachable, policy refuses',
      {},
      { kind: 'unreachable', problem: 'HTTP 503' },
      'ticket-system-unreachable',
    ],
    [
      'unreachable, policy allows with a warning',
      { onUnreachable: 'allow-with-warning' },
      { kind: 'unreachable', problem: 'timeout' },
      'ticket-unverified',
    ],
    [
      'state unknown, policy refuses (never taken for open)',
      { assignedToRequester: false },
      { kind: 'found', ticket: { ...facts, open: 'unknown', status: '42' } },
      'ticket-state-unknown',
    ],
    [
      'state unknown, policy allows with a warning',
      { assignedToRequester: false, onUnreachable: 'allow-with-warning' },
      { kind: 'found', ticket: { ...facts, open: 'unknown', status: '42' } },
      'ticket-unverified',
    ],
    [
      'state unknown but the rule does not ask for open',
      { assignedToRequester: false, mustBeOpen: false },
      { kind: 'found', ticket: { ...facts, open: 'unknown', status: '42' } },
      'ticket-verified',
    ],
  ];
  it.each(cases)('%s', (_, change, lookup, reason) => {
    expect(decideTicket({ ...rule, ...change }, 'OPS-1', lookup, dev1).reason).toBe(reason);
  });
});

describe('ticket checks on submission (DynamoDB Local, Jira/ServiceNow stand-in)', () => {
  it('accepts an open ticket assigned to the requester and keeps its title, status and link for approvers', async () => {
    const w = world();
    const result = await submitRequest(w.deps, ask('prod-jira', 'OPS-1'));
    expect(result).toMatchObject({
      outcome: 'pending',
      request: {
        ticketInfo: {
          system: 'jira',
          title: 'Disk full',
          status: 'In Progress',
          url: `${standIn.url}/browse/OPS-1`,
        },
      },
    });
    if (result.outcome !== 'pending') return;
    const [submitted] = await auditTypes(result.request.id);
    expect(submitted?.detail).toMatchObject({ ticketCheck: 'ticket-verified', ticketStatus: 'In Progress' });
    // As stored and read back, the approval post links the ticket with its title and status.
    const stored = await db().requests.get(result.request.id);
    expect(JSON.stringify(approvalMessage(stored as AccessRequest, undefined).blocks)).toContain(
      `<${standIn.url}/browse/OPS-1|OPS-1> Disk full · _In Progress_`,
    );
  });

  it('refuses a closed ticket, writes no request, and audits the refusal with its reason', async () => {
    const w = world();
    const result = await submitRequest(w.deps, ask('prod-jira', 'OPS-2'));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'ticket-closed', field: 'ticket' });
    const refused = (await auditTypes()).filter((e) => e.type === 'request.refused' && e.ticket === 'OPS-2');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.detail).toMatchObject({ decision: 'ticket-closed', ticketSystem: 'jira' });
    expect(w.queue.jobs).toEqual([]);
  });

  it.each(['timeout', '5xx', '401'] as const)(
    'Jira %s with onUnreachable: refuse is a clear refusal',
    async (fault) => {
      standIn.faults.jira = fault;
      const result = await submitRequest(world(300).deps, ask('prod-jira', 'OPS-1'));
      expect(result).toMatchObject({ outcome: 'refused', reason: 'ticket-system-unreachable' });
    },
  );

  it('ServiceNow unreachable with allow-with-warning: accepted, the warning kept and audited', async () => {
    standIn.faults.servicenow = '5xx';
    const result = await submitRequest(world().deps, ask('prod-snow', 'INC0010001'));
    expect(result).toMatchObject({ outcome: 'pending', request: { ticketInfo: { status: 'not checked' } } });
    if (result.outcome !== 'pending') return;
    const [submitted] = await auditTypes(result.request.id);
    expect(submitted?.detail).toMatchObject({ ticketCheck: 'ticket-unverified' });
    expect(String(submitted?.detail?.ticketWarning)).toMatch(/ServiceNow could not be reached/);
  });

  describe('ServiceNow states: open decided by the number, shown by the name', () => {
    const incident = (status: string) =>
      standIn.tickets.set('INC0020001', { key: 'INC0020001', title: 'Outage', status, closed: false });

    it('an incident in state 7 is closed and shown "Closed"', async () => {
      incident('7');
      const result = await submitRequest(world().deps, ask('prod-snow', 'INC0020001'));
      expect(result).toMatchObject({ outcome: 'refused', reason: 'ticket-closed' });
      if (result.outcome === 'refused')
        expect(result.message).toContain('INC0020001 is Closed in ServiceNow');
    });

    it('an incident in state 2 is open and shown "In Progress" to approvers', async () => {
      incident('2');
      const result = await submitRequest(world().deps, ask('prod-snow', 'INC0020001'));
      expect(result).toMatchObject({
        outcome: 'pending',
        request: { ticketInfo: { system: 'servicenow', status: 'In Progress', title: 'Outage' } },
      });
      if (result.outcome !== 'pending') return;
      expect((result.request.ticketInfo as { warning?: string }).warning).toBeUndefined();
    });

    it('an unknown state is shown as its number and goes to the fallback: allowed with a warning', async () => {
      incident('42');
      const result = await submitRequest(world().deps, ask('prod-snow', 'INC0020001'));
      expect(result).toMatchObject({ outcome: 'pending', request: { ticketInfo: { status: '42' } } });
      if (result.outcome !== 'pending') return;
      expect(result.request.ticketInfo?.warning).toMatch(/state 42 .*not checked/);
      const [submitted] = await auditTypes(result.request.id);
      expect(submitted?.detail).toMatchObject({ ticketCheck: 'ticket-unverified', ticketStatus: '42' });
    });

    it('an unknown state is shown as its number and goes to the fallback: refused', async () => {
      standIn.tickets.set('CHG0030001', { key: 'CHG0030001', title: 'Patch', status: '9', closed: false });
      const result = await submitRequest(world().deps, ask('prod-change', 'CHG0030001'));
      expect(result).toMatchObject({ outcome: 'refused', reason: 'ticket-state-unknown', field: 'ticket' });
      if (result.outcome === 'refused') expect(result.message).toContain('state 9');
      standIn.tickets.set('CHG0030001', { key: 'CHG0030001', title: 'Patch', status: '-1', closed: false });
      expect(await submitRequest(world().deps, ask('prod-change', 'CHG0030001'))).toMatchObject({
        outcome: 'pending',
        request: { ticketInfo: { status: 'Implement' } },
      });
    });
  });

  it('ends a grant whose ticket closed: the sweeper asks, requests the end and ends it', async () => {
    const w = world();
    const submitted = await submitRequest(w.deps, ask('prod-jira', 'OPS-1'));
    if (submitted.outcome !== 'pending') throw new Error('not pending');
    const { approveRequest } = await import('../../shared/usecases/approve-request.js');
    await approveRequest(w.deps, {
      requestId: submitted.request.id,
      approver: { person: slackPerson('ULEAD1'), groups: [] },
    });
    await activateGrant(w.grant.deps, {
      requestId: submitted.request.id,
      attempt: 1,
      maxAttempts: 5,
    } as never);
    const checks = new Map<string, number>();
    await sweepExpiredGrants(w.grant.deps, { concurrency: 2, ticketChecks: checks });
    expect((await db().requests.get(submitted.request.id))?.status).toBe('ACTIVE');
    standIn.tickets.set('OPS-1', { key: 'OPS-1', title: 'Disk full', status: 'Done', closed: true });
    w.clock.advance(120);
    await sweepExpiredGrants(w.grant.deps, { concurrency: 2, ticketChecks: checks });
    const ended = await db().requests.get(submitted.request.id);
    expect(ended).toMatchObject({ status: 'REVOKED', endRequest: { by: 'system:ticket-check' } });
  });
});

/** Who the on-call tests' people are: UDEV2 is dev2@example.com, anyone else dev1@example.com. */
function people(w: ReturnType<typeof world>, roster = onCallRosterFromEnv(env())) {
  return {
    policy: w.deps.policy,
    directory: {
      providers: ['slack' as const],
      emailOf: (p: { id: string }) =>
        Promise.resolve(p.id === 'UDEV2' ? 'dev2@example.com' : 'dev1@example.com'),
      groupsOf: () => Promise.resolve([]),
    },
    onCall: roster,
  };
}

describe('on-call people sets (DynamoDB Local, PagerDuty stand-in)', () => {
  it('auto-approves whoever is on call, clamps the grant to the shift, and the sweeper ends it at the shift end', async () => {
    const w = world();
    const dev2 = await resolvePerson(people(w), slackPerson('UDEV2'));
    expect(dev2.onCall?.['sre-oncall']).toEqual({
      email: 'dev2@example.com',
      endsAt: '2026-11-27T09:30:00Z',
    });
    const result = await submitRequest(w.deps, {
      requester: dev2,
      principal: 'dev2@example.com',
      targetId: 'oncall-ops',
      reason: 'page',
    });
    expect(result).toMatchObject({
      outcome: 'approved',
      request: { shiftEndsAt: '2026-11-27T09:30:00Z', endsAt: '2026-11-27T09:30:00.000Z' },
    });
    if (result.outcome !== 'approved') return;
    await activateGrant(w.grant.deps, { requestId: result.request.id, attempt: 1, maxAttempts: 5 } as never);
    w.clock.set('2026-11-27T09:31:00.000Z');
    await sweepExpiredGrants(w.grant.deps, { concurrency: 2 });
    expect((await db().requests.get(result.request.id))?.status).toBe('EXPIRED');
  });

  it('someone not on call needs approval; break-glass is refused to them', async () => {
    const w = world();
    const dev1Resolved = await resolvePerson(people(w), slackPerson('UDEV1'));
    expect(dev1Resolved.onCall).toBeUndefined();
    const result = await submitRequest(w.deps, {
      requester: dev1Resolved,
      principal: 'dev1@example.com',
      targetId: 'oncall-ops',
      reason: 'x',
    });
    expect(result).toMatchObject({ outcome: 'pending' });
    const bg = await breakGlass(w.deps, {
      requester: dev1Resolved,
      principal: 'dev1@example.com',
      targetId: 'oncall-ops',
      reason: 'fire',
    });
    expect(bg).toMatchObject({ outcome: 'refused', reason: 'not-a-responder' });
  });

  it('break-glass by the on-call responder ends with the shift', async () => {
    const w = world();
    const dev2 = await resolvePerson(people(w), slackPerson('UDEV2'));
    const bg = await breakGlass(w.deps, {
      requester: dev2,
      principal: 'dev2@example.com',
      targetId: 'oncall-ops',
      reason: 'fire',
    });
    expect(bg).toMatchObject({ outcome: 'granted', request: { endsAt: '2026-11-27T09:30:00.000Z' } });
  });

  it.each(['timeout', '5xx', '401'] as const)('PagerDuty %s: fails closed (not on call)', async (fault) => {
    standIn.faults.pagerduty = fault;
    const w = world();
    const roster = onCallRosterFromEnv(env(300));
    const dev2 = await resolvePerson(people(w, roster), slackPerson('UDEV2'));
    expect(dev2.onCall?.['sre-oncall']).toBeUndefined();
  });
});

describe('on-call people sets (DynamoDB Local, Opsgenie stand-in)', () => {
  const ask = (requester: ResolvedPerson) => ({
    requester,
    principal: requester.email ?? 'x',
    targetId: 'genie-ops',
    reason: 'page',
  });

  it('auto-approves whoever is on call in Opsgenie, for the asked duration (Opsgenie gives no shift end)', async () => {
    const w = world();
    const dev2 = await resolvePerson(people(w), slackPerson('UDEV2'));
    expect(dev2.onCall?.['ops-oncall']).toEqual({ email: 'dev2@example.com' });
    const result = await submitRequest(w.deps, ask(dev2));
    expect(result).toMatchObject({
      outcome: 'approved',
      request: { decidedBy: 'system:auto-approval', endsAt: '2026-11-27T11:00:00.000Z' },
    });
    expect(w.queue.jobs).toHaveLength(1);
  });

  it('someone not on call in Opsgenie needs approval', async () => {
    const w = world();
    const dev1Resolved = await resolvePerson(people(w), slackPerson('UDEV1'));
    expect(dev1Resolved.onCall).toBeUndefined();
    expect(await submitRequest(w.deps, ask(dev1Resolved))).toMatchObject({
      outcome: 'pending',
      request: { status: 'PENDING' },
    });
    expect(w.queue.jobs).toEqual([]);
  });

  it.each(['timeout', '5xx', '401'] as const)(
    'Opsgenie %s: fails closed (not on call, needs approval)',
    async (fault) => {
      standIn.faults.opsgenie = fault;
      const w = world();
      const dev2 = await resolvePerson(people(w, onCallRosterFromEnv(env(300))), slackPerson('UDEV2'));
      expect(dev2.onCall?.['ops-oncall']).toBeUndefined();
      expect(await submitRequest(w.deps, ask(dev2))).toMatchObject({ outcome: 'pending' });
    },
  );
});

describe('break-glass on a target with a ticket check (DynamoDB Local, Jira stand-in)', () => {
  const responder: ResolvedPerson = {
    person: slackPerson('UDEV2'),
    email: 'dev2@example.com',
    groups: [],
    onCall: { 'sre-oncall': { email: 'dev2@example.com', endsAt: '2026-11-27T09:30:00Z' } },
  };
  const glass = (w: ReturnType<typeof world>, ticket?: string) =>
    breakGlass(w.deps, {
      requester: responder,
      principal: 'dev2@example.com',
      targetId: 'prod-glass',
      reason: 'prod is down',
      ...(ticket === undefined ? {} : { ticket }),
    });
  beforeEach(() => {
    standIn.tickets.set('OPS-3', {
      key: 'OPS-3',
      title: 'Prod down',
      status: 'In Progress',
      closed: false,
      assigneeEmail: 'dev2@example.com',
    });
  });

  it.each([
    {
      description: 'an open ticket of the responder: verified, no warning',
      ticket: 'OPS-3',
      fault: 'ok' as const,
      info: { title: 'Prod down', status: 'In Progress' },
      detail: { ticketCheck: 'ticket-verified', ticketStatus: 'In Progress' },
      warning: undefined,
    },
    {
      description: 'a closed ticket: granted, the refusal it would have been kept as a warning',
      ticket: 'OPS-2',
      fault: 'ok' as const,
      info: { title: 'Old', status: 'Done' },
      detail: { ticketCheck: 'ticket-unverified', ticketRefusalOverridden: 'ticket-closed' },
      warning: /OPS-2 is Done in Jira/,
    },
    {
      description: 'a ticket that does not exist: granted with a warning',
      ticket: 'OPS-404',
      fault: 'ok' as const,
      info: { status: 'not checked' },
      detail: { ticketRefusalOverridden: 'ticket-not-found' },
      warning: /OPS-404 does not exist/,
    },
    {
      description: 'Jira down (5xx), although the target refuses requests then: granted with a warning',
      ticket: 'OPS-3',
      fault: '5xx' as const,
      info: { status: 'not checked' },
      detail: { ticketRefusalOverridden: 'ticket-system-unreachable' },
      warning: /Jira could not be reached/,
    },
  ])('$description', async ({ ticket, fault, info, detail, warning }) => {
    standIn.faults.jira = fault;
    const w = world(300);
    const result = await glass(w, ticket);
    expect(result).toMatchObject({ outcome: 'granted', request: { ticket, ticketInfo: info } });
    if (result.outcome !== 'granted') return;
    if (warning) expect(result.request.ticketInfo?.warning).toMatch(warning);
    else expect(result.request.ticketInfo?.warning).toBeUndefined();
    const events = await auditTypes(result.request.id);
    expect(events.map((e) => e.type)).toEqual(['break-glass.activated']);
    expect(events[0]?.detail).toMatchObject({ ticketSystem: 'jira', ...detail });
    // Never a refusal: nobody was turned away.
    const onTarget = await auditTypes(undefined, 'prod-glass');
    expect(onTarget.length).toBeGreaterThan(0);
    expect(onTarget.filter((e) => e.type === 'request.refused')).toEqual([]);
    // The reviewers see it on the stored grant.
    expect((await db().requests.get(result.request.id))?.ticketInfo).toEqual(result.request.ticketInfo);
  });

  it('without a ticket: granted, nothing asked', async () => {
    const w = world();
    const result = await glass(w);
    expect(result).toMatchObject({ outcome: 'granted' });
    if (result.outcome !== 'granted') return;
    expect(result.request.ticketInfo).toBeUndefined();
  });

  it('the sweeper ends it when its verified ticket closes, but not when it went ahead on a closed one', async () => {
    const w = world();
    const verified = await glass(w, 'OPS-3');
    const onClosed = await glass(w, 'OPS-2');
    if (verified.outcome !== 'granted' || onClosed.outcome !== 'granted') throw new Error('not granted');
    for (const id of [verified.request.id, onClosed.request.id]) {
      await activateGrant(w.grant.deps, { requestId: id, attempt: 1, maxAttempts: 5 } as never);
    }
    standIn.tickets.set('OPS-3', { key: 'OPS-3', title: 'Prod down', status: 'Done', closed: true });
    w.clock.advance(120);
    await sweepExpiredGrants(w.grant.deps, { concurrency: 2, ticketChecks: new Map() });
    expect(await db().requests.get(verified.request.id)).toMatchObject({
      status: 'REVOKED',
      endRequest: { by: 'system:ticket-check' },
    });
    expect((await db().requests.get(onClosed.request.id))?.status).toBe('ACTIVE');
  });
});
