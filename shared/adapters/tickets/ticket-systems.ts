import { ExternalSystemError } from '../../domain/errors.js';
import type { TicketFacts, TicketRule, TicketSystemName, TicketSystems } from '../../domain/tickets.js';
import { getJson, type JsonApiOptions } from '../http/fetch-json.js';

/** How long a ticket's answer is reused (the sweeper asks again at most this often). */
export const TICKET_CACHE_SECONDS = 60;

type Api = Omit<JsonApiOptions, 'system'>;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function base(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Jira Cloud / Data Center: `GET /rest/api/3/issue/{key}?fields=summary,status,assignee`.
 * A ticket is open unless its status category is `done`; the assignee's email is given when
 * the account's privacy settings show it (otherwise "assigned to the requester" fails closed).
 */
export async function findJiraIssue(api: Api, key: string): Promise<TicketFacts | undefined> {
  const answer = await getJson(
    { ...api, system: 'Jira' },
    `rest/api/3/issue/${encodeURIComponent(key)}?fields=summary,status,assignee`,
  );
  if (answer.status === 404) return undefined;
  const fields = record(record(answer.body).fields);
  const status = record(fields.status);
  if (typeof status.name !== 'string') throw new ExternalSystemError('Jira', 'the issue has no status');
  const email = text(record(fields.assignee).emailAddress);
  return {
    system: 'jira',
    key,
    title: text(fields.summary),
    status: status.name,
    open: record(status.statusCategory).key !== 'done',
    ...(email ? { assigneeEmail: email } : {}),
    url: new URL(`browse/${encodeURIComponent(key)}`, base(api.baseUrl)).toString(),
  };
}

/** A table's out-of-the-box states (ServiceNow's `state` choice values), open and closed. */
export interface ServiceNowStates {
  readonly open: readonly string[];
  readonly closed: readonly string[];
}

/**
 * ServiceNow's out-of-the-box state values, by table: "open" is decided by the value (the
 * number, which a locale or a relabelled choice does not change), and shown by the name the
 * instance gives (`sysparm_display_value=all`). A value not listed here is neither: the ticket
 * check treats it as unknown (the policy's fallback), never as open. Sources:
 * - incident (1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled): ServiceNow docs,
 *   IT Service Management > Incident Management state model
 *   (docs.servicenow.com/bundle/london-it-service-management/page/product/incident-management/concept/c_IncidentManagementStateModel.html)
 *   and KB0564465 "Incident Management State Model";
 * - change_request (-5 New, -4 Assess, -3 Authorize, -2 Scheduled, -1 Implement, 0 Review,
 *   3 Closed, 4 Canceled): ServiceNow docs, Change Management "State model and transitions"
 *   (servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html);
 * - sc_req_item / sc_task (-5 Pending, 1 Open, 2 Work in Progress, 3 Closed Complete,
 *   4 Closed Incomplete, 7 Closed Skipped) and problem (101 New … 104 Fix in Progress,
 *   106 Resolved, 107 Closed): the base system's choice lists.
 */
export const SERVICENOW_STATES: Readonly<Record<string, ServiceNowStates>> = {
  incident: { open: ['1', '2', '3'], closed: ['6', '7', '8'] },
  change_request: { open: ['-5', '-4', '-3', '-2', '-1', '0'], closed: ['3', '4'] },
  sc_req_item: { open: ['-5', '1', '2'], closed: ['3', '4', '7'] },
  sc_task: { open: ['-5', '1', '2'], closed: ['3', '4', '7'] },
  problem: { open: ['101', '102', '103', '104'], closed: ['106', '107'] },
};

/**
 * A field of a Table API row asked with `sysparm_display_value=all`: `{ value, display_value }`
 * (the Table API reference, servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html,
 * "sysparm_display_value: true, false or all (both)"). A plain string (an instance or proxy
 * that ignored the parameter) is both.
 */
function field(row: Record<string, unknown>, name: string): { value: string; display: string } {
  const raw = row[name];
  if (typeof raw === 'string') return { value: raw, display: raw };
  const both = record(raw);
  const value = text(both.value);
  const display = text(both.display_value);
  return { value, display: display === '' ? value : display };
}

/**
 * ServiceNow Table API: `GET /api/now/table/{table}?sysparm_query=number={key}&sysparm_display_value=all…`.
 * An empty result is "no such ticket"; open or closed is decided by the state's value as
 * `states` lists it for the table (an unlisted table or value is `unknown`, never open), and
 * the status shown is the state's name (its number when the instance has no name for it).
 */
export async function findServiceNowRecord(
  api: Api,
  table: string,
  key: string,
  states: Readonly<Record<string, ServiceNowStates>> = SERVICENOW_STATES,
): Promise<TicketFacts | undefined> {
  const query = new URLSearchParams({
    sysparm_query: `number=${key}`,
    sysparm_fields: 'number,short_description,state,assigned_to,assigned_to.email',
    // Why: without it `state` is the bare number, which is neither a name to show nor safe to guess.
    sysparm_display_value: 'all',
    sysparm_limit: '1',
  });
  const answer = await getJson(
    { ...api, system: 'ServiceNow' },
    `api/now/table/${encodeURIComponent(table)}?${query.toString()}`,
  );
  if (answer.status === 404) return undefined;
  const result = record(answer.body).result;
  if (!Array.isArray(result)) throw new ExternalSystemError('ServiceNow', 'the answer has no result list');
  const row = record(result[0]);
  // Why compare the number: a query ServiceNow does not understand matches every record.
  if (result.length === 0 || field(row, 'number').value !== key) return undefined;
  const state = field(row, 'state');
  const known = states[table];
  const open = known?.closed.includes(state.value)
    ? false
    : known?.open.includes(state.value)
      ? true
      : ('unknown' as const);
  const email = field(row, 'assigned_to.email').value;
  return {
    system: 'servicenow',
    key,
    title: field(row, 'short_description').display,
    status: state.display,
    open,
    ...(email ? { assigneeEmail: email } : {}),
    url: new URL(
      `nav_to.do?uri=${encodeURIComponent(`${table}.do?sysparm_query=number=${key}`)}`,
      base(api.baseUrl),
    ).toString(),
  };
}

/** The connections a deployment has (absent: that system is not configured). */
export type TicketConnections = Partial<Record<TicketSystemName, Api>>;

/**
 * TicketSystems over HTTP, answers cached for `cacheSeconds` per system, table and key (a
 * failure is never cached: the next ask tries again). Asking a system without a connection
 * throws, which the use case treats as unreachable.
 */
export class HttpTicketSystems implements TicketSystems {
  private readonly cache = new Map<string, { at: number; ticket: TicketFacts | undefined }>();

  constructor(
    private readonly connections: TicketConnections,
    private readonly options: { readonly cacheSeconds?: number; readonly now?: () => number } = {},
  ) {}

  async find(rule: Pick<TicketRule, 'system' | 'table'>, key: string): Promise<TicketFacts | undefined> {
    const table = rule.table ?? 'incident';
    const cacheKey = `${rule.system}|${table}|${key}`;
    const now = this.options.now?.() ?? Date.now();
    const hit = this.cache.get(cacheKey);
    const maxAgeMs = (this.options.cacheSeconds ?? TICKET_CACHE_SECONDS) * 1000;
    if (hit && now - hit.at < maxAgeMs) return hit.ticket;
    const api = this.connections[rule.system];
    if (!api) throw new ExternalSystemError(rule.system, 'no connection is configured');
    const ticket =
      rule.system === 'jira' ? await findJiraIssue(api, key) : await findServiceNowRecord(api, table, key);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(cacheKey, { at: now, ticket });
    return ticket;
  }
}
