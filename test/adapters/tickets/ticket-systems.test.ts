import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExternalSystemError } from '../../../shared/domain/errors.js';
import { HttpTicketSystems } from '../../../shared/adapters/tickets/ticket-systems.js';
import { ticketSystemsFromEnv } from '../../../shared/adapters/tickets/integration-settings.js';
import { startIntegrationStandIn, type IntegrationStandIn } from '../../support/integration-stand-in.js';

let standIn: IntegrationStandIn;
beforeAll(async () => {
  standIn = await startIntegrationStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.faults.jira = 'ok';
  standIn.faults.servicenow = 'ok';
  standIn.tickets.clear();
  standIn.requests.length = 0;
  standIn.tickets.set('OPS-1', {
    key: 'OPS-1',
    title: 'Disk full',
    status: 'In Progress',
    closed: false,
    assigneeEmail: 'dev1@example.com',
  });
  standIn.tickets.set('OPS-2', { key: 'OPS-2', title: 'Old', status: 'Done', closed: true });
  standIn.tickets.set('INC0010001', {
    key: 'INC0010001',
    title: 'Outage',
    status: '2',
    closed: false,
    assigneeEmail: 'dev1@example.com',
  });
  standIn.tickets.set('INC0010002', { key: 'INC0010002', title: 'Over', status: '7', closed: true });
});

function systems(deadlineMs = 5000) {
  return ticketSystemsFromEnv({
    JIRA_BASE_URL: standIn.url,
    JIRA_TOKEN: 'jira-secret-token',
    SERVICENOW_BASE_URL: `${standIn.url}/`,
    SERVICENOW_TOKEN: 'snow-secret-token',
    INTEGRATION_DEADLINE_MS: String(deadlineMs),
  });
}

const jira = { system: 'jira' } as const;
const snow = { system: 'servicenow', table: 'incident' } as const;

describe('Jira (stand-in over HTTP)', () => {
  it('reads an open issue: title, status, assignee and link, with the Bearer token', async () => {
    expect(await systems().find(jira, 'OPS-1')).toEqual({
      system: 'jira',
      key: 'OPS-1',
      title: 'Disk full',
      status: 'In Progress',
      open: true,
      assigneeEmail: 'dev1@example.com',
      url: `${standIn.url}/browse/OPS-1`,
    });
    expect(standIn.requests[0]).toEqual({
      system: 'jira',
      path: '/rest/api/3/issue/OPS-1?fields=summary,status,assignee',
      authorization: 'Bearer jira-secret-token',
    });
  });

  it('says closed for a done issue and undefined for a missing one', async () => {
    expect(await systems().find(jira, 'OPS-2')).toMatchObject({ open: false, status: 'Done' });
    expect(await systems().find(jira, 'OPS-404')).toBeUndefined();
  });

  it.each([
    ['5xx', /HTTP 503/],
    ['401', /credentials refused \(HTTP 401\)/],
    ['timeout', /no answer within 300 ms/],
  ] as const)('throws on %s, naming the system and never the token', async (fault, message) => {
    standIn.faults.jira = fault;
    const error = await systems(300)
      .find(jira, 'OPS-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalSystemError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('jira-secret-token');
  });
});

describe('ServiceNow (stand-in over HTTP)', () => {
  it('reads a record through the Table API: open by state, assignee email', async () => {
    expect(await systems().find(snow, 'INC0010001')).toMatchObject({
      system: 'servicenow',
      title: 'Outage',
      status: 'In Progress',
      open: true,
      assigneeEmail: 'dev1@example.com',
    });
    const path = standIn.requests[0]?.path ?? '';
    expect(path).toMatch(/^\/api\/now\/table\/incident\?/);
    const params = new URL(path, 'http://x').searchParams;
    expect(params.get('sysparm_query')).toBe('number=INC0010001');
    expect(params.get('sysparm_display_value')).toBe('all');
  });

  it('says closed for a closed state and undefined for an empty result', async () => {
    expect(await systems().find(snow, 'INC0010002')).toMatchObject({ open: false, status: 'Closed' });
    expect(await systems().find(snow, 'INC9999999')).toBeUndefined();
  });

  // The state arrives as a number; open is decided by that value, per table, and shown by its name.
  it.each([
    { table: 'incident', state: '1', status: 'New', open: true },
    { table: 'incident', state: '2', status: 'In Progress', open: true },
    { table: 'incident', state: '3', status: 'On Hold', open: true },
    { table: 'incident', state: '6', status: 'Resolved', open: false },
    { table: 'incident', state: '7', status: 'Closed', open: false },
    { table: 'incident', state: '8', status: 'Canceled', open: false },
    { table: 'incident', state: '42', status: '42', open: 'unknown' },
    { table: 'change_request', state: '-5', status: 'New', open: true },
    { table: 'change_request', state: '-1', status: 'Implement', open: true },
    { table: 'change_request', state: '0', status: 'Review', open: true },
    { table: 'change_request', state: '3', status: 'Closed', open: false },
    { table: 'change_request', state: '4', status: 'Canceled', open: false },
    // 3 is On Hold for an incident but Closed for a change, 6 is Resolved for an incident only.
    { table: 'change_request', state: '6', status: '6', open: 'unknown' },
    { table: 'u_custom', state: '2', status: '2', open: 'unknown' },
  ] as const)('$table state $state is "$status", open: $open', async ({ table, state, status, open }) => {
    standIn.tickets.set('CHG0000001', { key: 'CHG0000001', title: 'Patch', status: state, closed: false });
    expect(await systems().find({ system: 'servicenow', table }, 'CHG0000001')).toMatchObject({
      status,
      open,
    });
  });

  it.each(['5xx', '401', 'timeout'] as const)('throws on %s', async (fault) => {
    standIn.faults.servicenow = fault;
    await expect(systems(300).find(snow, 'INC0010001')).rejects.toBeInstanceOf(ExternalSystemError);
  });
});

describe('HttpTicketSystems', () => {
  it('caches an answer for a minute and never caches a failure', async () => {
    let now = 0;
    const api = { baseUrl: standIn.url, authorization: () => Promise.resolve('Bearer t'), deadlineMs: 5000 };
    const cached = new HttpTicketSystems({ jira: api }, { now: () => now });
    standIn.faults.jira = '5xx';
    await expect(cached.find(jira, 'OPS-1')).rejects.toThrow();
    standIn.faults.jira = 'ok';
    await cached.find(jira, 'OPS-1');
    await cached.find(jira, 'OPS-1');
    expect(standIn.requests).toHaveLength(2);
    now += 61_000;
    await cached.find(jira, 'OPS-1');
    expect(standIn.requests).toHaveLength(3);
  });

  it('throws for a system without a connection (unreachable, never a pass)', async () => {
    await expect(ticketSystemsFromEnv({}).find(jira, 'OPS-1')).rejects.toThrow(/no connection/);
  });
});
