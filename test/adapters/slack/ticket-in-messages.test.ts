import { readFileSync } from 'node:fs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemToRequest } from '../../../shared/adapters/dynamodb/request-store.js';
import {
  approvalMessage,
  breakGlassAlert,
  decidedMessage,
  ticketText,
} from '../../../shared/adapters/slack/views/messages.js';
import type { Block } from '../../../shared/adapters/slack/views/blocks.js';
import { newRequest, type AccessRequest, type TicketSnapshot } from '../../../shared/domain/request.js';

const JIRA: TicketSnapshot = {
  system: 'jira',
  title: 'Disk full on db-1',
  status: 'In Progress',
  url: 'https://example.atlassian.net/browse/OPS-1',
};

function request(ticketInfo?: TicketSnapshot, ticket = 'OPS-1'): AccessRequest {
  return newRequest({
    id: 'req-1',
    at: new Date('2026-11-27T09:00:00Z'),
    requester: 'UDEV1',
    principal: 'dev1',
    targetId: 'prod-jira',
    targetKind: 'group',
    durationSeconds: 3600,
    reason: 'fix it',
    ticket,
    approvalsRequired: 1,
    ...(ticketInfo ? { ticketInfo } : {}),
  });
}

/** The text of the "Ticket" field of a message's request fields. */
function ticketField(blocks: readonly Block[]): string | undefined {
  for (const block of blocks) {
    if (block.type !== 'section' || !block.fields) continue;
    const field = block.fields.find((f) => f.text.startsWith('*Ticket*'));
    if (field) return field.text;
  }
  return undefined;
}

describe('the ticket in approval messages', () => {
  it.each([
    {
      description: 'a checked Jira ticket: linked key, title and status',
      request: request(JIRA),
      text: '*Ticket*\n<https://example.atlassian.net/browse/OPS-1|OPS-1> Disk full on db-1 · _In Progress_',
    },
    {
      description: 'a ticket the system could not check: the key and the warning',
      request: request(
        {
          system: 'servicenow',
          title: '',
          status: 'not checked',
          url: '',
          warning: 'ServiceNow could not be reached; INC1 was not checked.',
        },
        'INC1',
      ),
      text: '*Ticket*\nINC1 · _not checked_\n:warning: ServiceNow could not be reached; INC1 was not checked.',
    },
    {
      description: 'a ticket without details (no ticket check, or stored before them): the key alone',
      request: request(),
      text: '*Ticket*\nOPS-1',
    },
  ])('$description', ({ request: r, text }) => {
    expect(ticketField(approvalMessage(r, undefined).blocks)).toBe(text);
    expect(ticketField(decidedMessage(r, undefined).blocks)).toBe(text);
  });

  it('shows the ticket to break-glass reviewers too', () => {
    const glass = { ...request(JIRA), status: 'ACTIVE' as const, breakGlass: true };
    expect(ticketField(breakGlassAlert(glass, undefined).blocks)).toContain('Disk full on db-1');
  });

  it('escapes the title and status an outside system gave (no mentions, no forged links)', () => {
    const text = ticketText(
      request({ ...JIRA, title: '<!channel> <https://evil.example|click>', status: 'a>b' }),
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('_a&gt;b_');
  });

  it.each([
    ['javascript:alert(1)'],
    ['https://example.atlassian.net/browse/OPS-1|forged'],
    ['https://example.atlassian.net/browse/OPS-1>x'],
    ['not a url'],
  ])('does not link a URL that is not a plain http(s) link: %s', (url) => {
    const text = ticketText(request({ ...JIRA, url }));
    expect(text.startsWith('OPS-1 Disk full on db-1')).toBe(true);
  });

  it('cuts a long title (the link leads to the rest)', () => {
    const text = ticketText(request({ ...JIRA, title: 'x'.repeat(5000) }));
    expect(text.length).toBeLessThan(300);
  });

  it('renders a request stored by release 0.1.0 (no ticketInfo) with its ticket key', () => {
    const fixture = JSON.parse(
      readFileSync(new URL('../../fixtures/stored-items/0.1.0.json', import.meta.url), 'utf8'),
    ) as { ids: { activeRole: string }; requests: Record<string, AttributeValue>[] };
    const stored = fixture.requests
      .map((item) => itemToRequest(unmarshall(item)))
      .find((r) => r.id === fixture.ids.activeRole);
    expect(stored?.ticketInfo).toBeUndefined();
    expect(ticketField(approvalMessage(stored as AccessRequest, undefined).blocks)).toBe('*Ticket*\nINC-1');
  });
});
