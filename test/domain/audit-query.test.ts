import { describe, expect, it } from 'vitest';
import {
  matchesAuditFilter,
  parseAuditFilter,
  parseAuditQuery,
  DEFAULT_AUDIT_PAGE_SIZE,
} from '../../shared/domain/audit-query.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { sealEvent, GENESIS_HASH } from '../../shared/domain/audit.js';

describe('parseAuditQuery', () => {
  it.each([
    {
      description: 'auditor names map to filter fields; dates are normalised to UTC milliseconds',
      input: { person: 'UDEV1', target: 'prod-role', from: '2026-03-01', to: '2026-03-02T01:00:00+01:00' },
      expected: {
        filter: {
          subject: 'UDEV1',
          targetId: 'prod-role',
          from: '2026-03-01T00:00:00.000Z',
          to: '2026-03-02T00:00:00.000Z',
        },
        limit: DEFAULT_AUDIT_PAGE_SIZE,
      },
    },
    {
      description: 'strings for numbers and flags (query strings, CLI flags)',
      input: { breakGlass: 'true', limit: '20', cursor: 'abc' },
      expected: { filter: { breakGlass: true }, limit: 20, cursor: 'abc' },
    },
    {
      description: 'status alone needs no time range',
      input: { status: 'REVOKED' },
      expected: { filter: { status: 'REVOKED' }, limit: DEFAULT_AUDIT_PAGE_SIZE },
    },
    {
      description: 'a time range alone is a query over everything',
      input: { from: '2026-01-01T00:00:00Z' },
      expected: { filter: { from: '2026-01-01T00:00:00.000Z' }, limit: DEFAULT_AUDIT_PAGE_SIZE },
    },
  ])('accepts $description', ({ input, expected }) => {
    expect(parseAuditQuery(input)).toEqual(expected);
  });

  it.each([
    {
      description: 'an unknown filter',
      input: { person: 'U1', user: 'U2' },
      message: 'unknown filter "user"',
    },
    { description: 'a date that is not ISO', input: { person: 'U1', from: '03/01/2026' }, message: 'from:' },
    {
      description: 'a date-time without a zone',
      input: { person: 'U1', from: '2026-03-01T10:00:00' },
      message: 'from:',
    },
    { description: 'an impossible date', input: { person: 'U1', to: '2026-02-30' }, message: 'to:' },
    {
      description: 'from after to',
      input: { person: 'U1', from: '2026-03-02', to: '2026-03-01' },
      message: 'to: must be after from',
    },
    { description: 'no filter and no start', input: {}, message: 'from: is required' },
    {
      description: 'break-glass false alone is not an index',
      input: { breakGlass: false },
      message: 'from: is required',
    },
    { description: 'a limit of 0', input: { person: 'U1', limit: 0 }, message: 'limit: must be at least 1' },
    {
      description: 'a limit above the maximum',
      input: { person: 'U1', limit: 5000 },
      message: 'limit: must be at most',
    },
    {
      description: 'a fractional limit',
      input: { person: 'U1', limit: '2.5' },
      message: 'limit: must be a whole number',
    },
    { description: 'an unknown status', input: { status: 'GONE' }, message: 'status: must be one of' },
    {
      description: 'a break-glass flag that is not a boolean',
      input: { breakGlass: 'maybe' },
      message: 'breakGlass:',
    },
    { description: 'an empty person', input: { person: ' ' }, message: 'person: must not be empty' },
  ])('rejects $description', ({ input, message }) => {
    expect(() => parseAuditQuery(input)).toThrow(ValidationError);
    expect(() => parseAuditQuery(input)).toThrow(message);
  });

  it('refuses paging options on an export', () => {
    expect(() => parseAuditFilter({ person: 'U1', limit: 5 })).toThrow('an export takes no limit');
    expect(parseAuditFilter({ person: 'U1' })).toEqual({ subject: 'U1' });
  });
});

describe('matchesAuditFilter', () => {
  const event = sealEvent(
    {
      type: 'grant.revoked',
      at: '2026-03-01T10:00:00.000Z',
      actor: 'system:revoker',
      subject: 'UDEV1',
      targetId: 'prod-role',
      requestId: 'req-1',
      fromStatus: 'ACTIVE',
      toStatus: 'REVOKED',
      breakGlass: true,
    },
    'chain-00',
    { seq: 0, hash: GENESIS_HASH },
  );
  it.each([
    { filter: { subject: 'UDEV1', status: 'REVOKED' as const }, matches: true },
    { filter: { subject: 'UDEV2' }, matches: false },
    { filter: { breakGlass: false }, matches: false },
    { filter: { from: '2026-03-01T10:00:00.000Z' }, matches: true, description: 'from is inclusive' },
    { filter: { to: '2026-03-01T10:00:00.000Z' }, matches: false, description: 'to is exclusive' },
  ])('$filter → $matches', ({ filter, matches }) => {
    expect(matchesAuditFilter(event, filter)).toBe(matches);
  });
});
