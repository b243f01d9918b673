import { ExternalSystemError } from '../../domain/errors.js';
import type { OnCallProvider, OnCallRoster, OnCallShift, OnCallSource } from '../../domain/on-call.js';
import { getJson, type JsonApiOptions } from '../http/fetch-json.js';

/** How long "who is on call" is reused before the provider is asked again. */
export const ON_CALL_CACHE_SECONDS = 60;

type Api = Omit<JsonApiOptions, 'system'>;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function list(value: unknown, system: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ExternalSystemError(system, `the answer has no ${what} list`);
  return value;
}

/**
 * PagerDuty: `GET /oncalls?schedule_ids[]=…&escalation_policy_ids[]=…&include[]=users`, with
 * `Authorization: Token token=…`. Each entry's `user.email` (included users) and `end` (null
 * for a permanent escalation level: an open-ended shift). Paged with `offset` and `more`.
 */
export async function pagerDutyOnCalls(api: Api, source: OnCallSource): Promise<OnCallShift[]> {
  const shifts: OnCallShift[] = [];
  for (let offset = 0, more = true; more && offset < 1000;) {
    const query = new URLSearchParams();
    source.schedules.forEach((id) => query.append('schedule_ids[]', id));
    source.escalationPolicies.forEach((id) => query.append('escalation_policy_ids[]', id));
    query.append('include[]', 'users');
    query.set('limit', '100');
    query.set('offset', String(offset));
    const answer = await getJson(
      { ...api, system: 'PagerDuty', headers: { Accept: 'application/vnd.pagerduty+json;version=2' } },
      `oncalls?${query.toString()}`,
    );
    if (answer.status === 404) throw new ExternalSystemError('PagerDuty', 'schedule not found (HTTP 404)');
    const body = record(answer.body);
    const entries = list(body.oncalls, 'PagerDuty', 'oncalls');
    for (const entry of entries.map(record)) {
      const email = record(entry.user).email;
      if (typeof email !== 'string' || email === '') continue;
      shifts.push(typeof entry.end === 'string' ? { email, endsAt: entry.end } : { email });
    }
    more = body.more === true && entries.length > 0;
    offset += entries.length;
  }
  return shifts;
}

/**
 * Opsgenie: `GET /v2/schedules/{id}/on-calls?flat=false` per schedule, with
 * `Authorization: GenieKey …`. Participants of type `user` are named by username (their email).
 * Opsgenie does not say when the current shift ends, so its shifts are open-ended.
 */
export async function opsgenieOnCalls(api: Api, source: OnCallSource): Promise<OnCallShift[]> {
  const shifts: OnCallShift[] = [];
  for (const schedule of source.schedules) {
    const answer = await getJson(
      { ...api, system: 'Opsgenie' },
      `v2/schedules/${encodeURIComponent(schedule)}/on-calls?scheduleIdentifierType=${/^[0-9a-f-]{36}$/i.test(schedule) ? 'id' : 'name'}`,
    );
    if (answer.status === 404) throw new ExternalSystemError('Opsgenie', 'schedule not found (HTTP 404)');
    const data = record(record(answer.body).data);
    for (const participant of list(data.onCallParticipants, 'Opsgenie', 'onCallParticipants').map(record)) {
      if (participant.type === 'user' && typeof participant.name === 'string')
        shifts.push({ email: participant.name });
    }
  }
  return shifts;
}

/** The connections a deployment has (absent: that provider is not configured). */
export type OnCallConnections = Partial<Record<OnCallProvider, Api>>;

/**
 * OnCallRoster over HTTP: who is on call now per source, cached for `cacheSeconds` (a failure
 * is never cached). A provider without a connection throws (the use case fails closed).
 */
export class HttpOnCallRoster implements OnCallRoster {
  private readonly cache = new Map<string, { at: number; shifts: readonly OnCallShift[] }>();

  constructor(
    private readonly connections: OnCallConnections,
    private readonly options: { readonly cacheSeconds?: number; readonly now?: () => number } = {},
  ) {}

  async onCallNow(source: OnCallSource): Promise<readonly OnCallShift[]> {
    const key = JSON.stringify([source.provider, source.schedules, source.escalationPolicies]);
    const now = this.options.now?.() ?? Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < (this.options.cacheSeconds ?? ON_CALL_CACHE_SECONDS) * 1000) {
      // Why filter: a cached shift that has ended since is no longer on call.
      return hit.shifts.filter((s) => s.endsAt === undefined || Date.parse(s.endsAt) > now);
    }
    const api = this.connections[source.provider];
    if (!api) throw new ExternalSystemError(source.provider, 'no connection is configured');
    const shifts =
      source.provider === 'pagerduty'
        ? await pagerDutyOnCalls(api, source)
        : await opsgenieOnCalls(api, source);
    this.cache.set(key, { at: now, shifts });
    return shifts;
  }
}
