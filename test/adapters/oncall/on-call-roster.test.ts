import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExternalSystemError } from '../../../shared/domain/errors.js';
import type { OnCallSource } from '../../../shared/domain/on-call.js';
import { onCallRosterFromEnv } from '../../../shared/adapters/tickets/integration-settings.js';
import { HttpOnCallRoster } from '../../../shared/adapters/oncall/on-call-roster.js';
import { startIntegrationStandIn, type IntegrationStandIn } from '../../support/integration-stand-in.js';

let standIn: IntegrationStandIn;
beforeAll(async () => {
  standIn = await startIntegrationStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.faults.pagerduty = 'ok';
  standIn.faults.opsgenie = 'ok';
  standIn.requests.length = 0;
  standIn.schedules.clear();
  standIn.schedules.set('PSCHED1', [
    { email: 'oncall@example.com', end: '2026-11-27T12:00:00Z' },
    { email: 'forever@example.com', end: null },
  ]);
  standIn.schedules.set('ops-primary', [{ email: 'genie@example.com', end: null }]);
});

const pd: OnCallSource = {
  provider: 'pagerduty',
  schedules: ['PSCHED1'],
  escalationPolicies: [],
  grantsEndWithShift: true,
};
const og: OnCallSource = {
  provider: 'opsgenie',
  schedules: ['ops-primary'],
  escalationPolicies: [],
  grantsEndWithShift: false,
};

function roster(deadlineMs = 5000) {
  return onCallRosterFromEnv({
    PAGERDUTY_BASE_URL: standIn.url,
    PAGERDUTY_TOKEN: 'pd-secret',
    OPSGENIE_BASE_URL: standIn.url,
    OPSGENIE_API_KEY: 'og-secret',
    INTEGRATION_DEADLINE_MS: String(deadlineMs),
  });
}

describe('PagerDuty GET /oncalls (stand-in)', () => {
  it('lists who is on call with their shift ends, authenticated with Token token=', async () => {
    expect(await roster().onCallNow(pd)).toEqual([
      { email: 'oncall@example.com', endsAt: '2026-11-27T12:00:00Z' },
      { email: 'forever@example.com' },
    ]);
    const request = standIn.requests[0];
    expect(request?.authorization).toBe('Token token=pd-secret');
    expect(new URL(request?.path ?? '', 'http://x').searchParams.getAll('schedule_ids[]')).toEqual([
      'PSCHED1',
    ]);
  });

  it('answers an empty list when nobody is on call', async () => {
    standIn.schedules.set('PSCHED1', []);
    expect(await roster().onCallNow(pd)).toEqual([]);
  });

  it.each(['5xx', '401', 'timeout'] as const)('throws on %s (never "nobody on call")', async (fault) => {
    standIn.faults.pagerduty = fault;
    const error = await roster(300)
      .onCallNow(pd)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalSystemError);
    expect((error as Error).message).not.toContain('pd-secret');
  });
});

describe('Opsgenie GET /v2/schedules/{id}/on-calls (stand-in)', () => {
  it('lists the user participants by username, with GenieKey', async () => {
    expect(await roster().onCallNow(og)).toEqual([{ email: 'genie@example.com' }]);
    expect(standIn.requests[0]?.authorization).toBe('GenieKey og-secret');
    expect(standIn.requests[0]?.path).toMatch(/^\/v2\/schedules\/ops-primary\/on-calls/);
  });

  it('answers an empty list when nobody is on call (no participants), not an error', async () => {
    standIn.schedules.set('ops-primary', []);
    expect(await roster().onCallNow(og)).toEqual([]);
  });

  it.each([
    { fault: '5xx', says: 'unexpected answer (HTTP 503)' },
    { fault: '401', says: 'credentials refused (HTTP 401)' },
    { fault: 'timeout', says: 'no answer within 300 ms' },
  ] as const)('throws on $fault, naming Opsgenie and never the GenieKey', async ({ fault, says }) => {
    standIn.faults.opsgenie = fault;
    const error = await roster(300)
      .onCallNow(og)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalSystemError);
    expect((error as ExternalSystemError).system).toBe('Opsgenie');
    expect((error as Error).message).toBe(`Opsgenie: ${says}`);
    expect((error as Error).message).not.toContain('og-secret');
  });
});

describe('HttpOnCallRoster', () => {
  it('caches for a minute, drops shifts that ended meanwhile, never caches a failure', async () => {
    let now = Date.parse('2026-11-27T11:59:45Z');
    const api = {
      baseUrl: standIn.url,
      authorization: () => Promise.resolve('Token token=t'),
      deadlineMs: 300,
    };
    const cached = new HttpOnCallRoster({ pagerduty: api }, { now: () => now });
    standIn.faults.pagerduty = '5xx';
    await expect(cached.onCallNow(pd)).rejects.toThrow();
    standIn.faults.pagerduty = 'ok';
    expect(await cached.onCallNow(pd)).toHaveLength(2);
    now = Date.parse('2026-11-27T12:00:30Z');
    expect(await cached.onCallNow(pd)).toEqual([{ email: 'forever@example.com' }]);
    expect(standIn.requests).toHaveLength(2);
  });

  it('throws for a provider without a connection', async () => {
    await expect(onCallRosterFromEnv({}).onCallNow(og)).rejects.toThrow(/no connection/);
  });
});
