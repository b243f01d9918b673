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

/**
 * ServiceNow states that mean closed, by table (the numbers are ServiceNow's out-of-the-box
 * choices): incident Resolved/Closed/Canceled, change request Closed/Canceled, catalog items
 * and tasks Closed Complete/Incomplete/Skipped, problem Resolved/Closed.
 */
export const SERVICENOW_CLOSED_STATES: Readonly<Record<string, readonly string[]>> = {
  incident: ['6', '7', '8'],
  change_request: ['3', '4'],
  sc_req_item: ['3', '4', '7'],
  sc_task: ['3', '4', '7'],
  problem: ['106', '107'],
};

/**
 * ServiceNow Table API: `GET /api/now/table/{table}?sysparm_query=number={key}&sysparm_fields=…`.
 * An empty result is "no such ticket"; a state in SERVICENOW_CLOSED_STATES (the incident
 * states for an unlisted table) is closed.
 */
export async function findServiceNowRecord(
  api: Api,
  table: string,
  key: string,
  closedStates: Readonly<Record<string, readonly string[]>> = SERVICENOW_CLOSED_STATES,
): Promise<TicketFacts | undefined> {
  const query = new URLSearchParams({
    sysparm_query: `number=${key}`,
    sysparm_fields: 'number,short_description,state,assigned_to,assigned_to.email',
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
  if (result.length === 0 || text(row.number) !== key) return undefined;
  const state = text(row.state);
  const email = text(row['assigned_to.email']);
  return {
    system: 'servicenow',
    key,
    title: text(row.short_description),
    status: state,
    open: !(closedStates[table] ?? closedStates.incident ?? []).includes(state),
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
