import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Jira, ServiceNow, PagerDuty and Opsgenie speaking their documented REST
 * endpoints, with a fault per system: `ok` (the data set below), `timeout` (never answers),
 * `5xx` (503), `401` (credentials refused). Records every request (path, Authorization).
 */
export type StandInFault = 'ok' | 'timeout' | '5xx' | '401';
export type StandInSystem = 'jira' | 'servicenow' | 'pagerduty' | 'opsgenie';

export interface StandInTicket {
  readonly key: string;
  readonly title: string;
  /**
   * Jira: status name; its category is `done` when `closed`. ServiceNow: the state's value (a
   * number; `closed` is not used: the broker decides by the value).
   */
  readonly status: string;
  readonly closed: boolean;
  readonly assigneeEmail?: string;
}

export interface StandInShift {
  readonly email: string;
  /** ISO-8601, or null for an open-ended escalation level. */
  readonly end: string | null;
}

export interface IntegrationStandIn {
  readonly url: string;
  readonly faults: Record<StandInSystem, StandInFault>;
  readonly tickets: Map<string, StandInTicket>;
  /**
   * Schedule id → who is on call there now; an empty list is "nobody on call" (PagerDuty: no
   * `oncalls`, Opsgenie: no `onCallParticipants`); an Opsgenie schedule not listed is a 404.
   */
  readonly schedules: Map<string, StandInShift[]>;
  readonly requests: { system: StandInSystem; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

function systemOf(path: string): StandInSystem | undefined {
  if (path.startsWith('/rest/api/3/issue/')) return 'jira';
  if (path.startsWith('/api/now/table/')) return 'servicenow';
  if (path.startsWith('/oncalls')) return 'pagerduty';
  if (path.startsWith('/v2/schedules/')) return 'opsgenie';
  return undefined;
}

/** A base instance's `state` choices (value → name) for the tables the tests use. */
const SERVICENOW_STATE_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  incident: {
    '1': 'New',
    '2': 'In Progress',
    '3': 'On Hold',
    '6': 'Resolved',
    '7': 'Closed',
    '8': 'Canceled',
  },
  change_request: {
    '-5': 'New',
    '-4': 'Assess',
    '-3': 'Authorize',
    '-2': 'Scheduled',
    '-1': 'Implement',
    '0': 'Review',
    '3': 'Closed',
    '4': 'Canceled',
  },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startIntegrationStandIn(): Promise<IntegrationStandIn> {
  const hung = new Set<ServerResponse>();
  const standIn: Omit<IntegrationStandIn, 'url' | 'close'> = {
    faults: { jira: 'ok', servicenow: 'ok', pagerduty: 'ok', opsgenie: 'ok' },
    tickets: new Map(),
    schedules: new Map(),
    requests: [],
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const system = systemOf(url.pathname);
    if (!system) return json(res, 404, { error: 'unknown endpoint' });
    standIn.requests.push({
      system,
      path: `${url.pathname}${url.search}`,
      authorization: req.headers.authorization,
    });
    const fault = standIn.faults[system];
    if (fault === 'timeout') {
      hung.add(res);
      return;
    }
    if (fault === '5xx') return json(res, 503, { error: 'unavailable' });
    if (fault === '401') return json(res, 401, { error: 'unauthorized' });
    switch (system) {
      case 'jira': {
        const key = decodeURIComponent(url.pathname.split('/').pop() ?? '');
        const t = standIn.tickets.get(key);
        if (!t) return json(res, 404, { errorMessages: ['Issue does not exist'] });
        return json(res, 200, {
          key,
          fields: {
            summary: t.title,
            status: { name: t.status, statusCategory: { key: t.closed ? 'done' : 'indeterminate' } },
            assignee: t.assigneeEmail ? { accountId: 'acc-1', emailAddress: t.assigneeEmail } : null,
          },
        });
      }
      case 'servicenow': {
        const number = (url.searchParams.get('sysparm_query') ?? '').replace(/^number=/, '');
        const table = url.pathname.split('/')[4] ?? '';
        const t = standIn.tickets.get(number);
        // As the Table API answers: bare values by default, names with `sysparm_display_value=true`,
        // both (`{ value, display_value }`) with `all`; a state without a choice shows its number.
        const shown = url.searchParams.get('sysparm_display_value') ?? 'false';
        const as = (value: string, display = value) =>
          shown === 'all' ? { value, display_value: display } : shown === 'true' ? display : value;
        return json(res, 200, {
          result: t
            ? [
                {
                  number: as(t.key),
                  short_description: as(t.title),
                  state: as(t.status, SERVICENOW_STATE_NAMES[table]?.[t.status] ?? t.status),
                  assigned_to: t.assigneeEmail ? as('sys-1', 'Dev One') : as(''),
                  'assigned_to.email': as(t.assigneeEmail ?? ''),
                },
              ]
            : [],
        });
      }
      case 'pagerduty': {
        const ids = url.searchParams.getAll('schedule_ids[]');
        const oncalls = ids.flatMap((id) =>
          (standIn.schedules.get(id) ?? []).map((s) => ({
            user: { id: 'PUSER', email: s.email, type: 'user' },
            schedule: { id },
            end: s.end,
          })),
        );
        return json(res, 200, { oncalls, more: false, offset: 0, limit: 100 });
      }
      case 'opsgenie': {
        const id = decodeURIComponent(url.pathname.split('/')[3] ?? '');
        const people = standIn.schedules.get(id);
        if (!people) return json(res, 404, { message: 'Schedule not found' });
        return json(res, 200, {
          data: {
            _parent: { id, name: id },
            onCallParticipants: people.map((p) => ({ id: 'u', name: p.email, type: 'user' })),
          },
        });
      }
    }
  };
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...standIn,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      hung.forEach((res) => res.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
