import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvRecord,
  FORMATS,
  tableRow,
  writeEvents,
  type Format,
} from '../../../shared/adapters/audit-format/audit-format.js';
import type { AuditEvent } from '../../../shared/domain/audit.js';
import { hasControlCharacters } from '../../../shared/domain/text.js';

/** A stored event; its free-text fields may hold anything (stored before any check, say). */
function stored(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    type: 'request.submitted',
    at: '2026-03-01T10:00:00.000Z',
    actor: 'UDEV1',
    subject: 'UDEV1',
    principal: 'dev1@example.com',
    targetId: 'prod-role',
    requestId: 'req-1',
    toStatus: 'PENDING',
    reason: 'deploy',
    ticket: 'OPS-1',
    breakGlass: false,
    chain: 'chain-00',
    seq: 1,
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
    ...overrides,
  };
}

async function written(events: readonly AuditEvent[], format: Format): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  async function* source() {
    yield* events;
  }
  await writeEvents(source(), format, out);
  return Buffer.concat(chunks).toString('utf8');
}

const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\u202Egnp.exe\u0085\u009b31m\u007f\r\n\t\u2028\u2066';

/** Characters that interpret, mixed with ordinary text of every plane. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

const hostileEvent = fc.record({
  actor: hostileText,
  subject: hostileText,
  principal: hostileText,
  targetId: hostileText,
  requestId: hostileText,
  reason: hostileText,
  ticket: hostileText,
  approvers: fc.array(hostileText, { maxLength: 3 }),
  awsRequestId: hostileText,
  detail: fc.dictionary(fc.string({ maxLength: 5 }), hostileText, { maxKeys: 2 }),
});

describe('the audit writers', () => {
  it.each(FORMATS)(
    'never let a control character other than the record separator through (%s)',
    async (format) => {
      await fc.assert(
        fc.asyncProperty(fc.array(hostileEvent, { minLength: 1, maxLength: 3 }), async (fields) => {
          const output = await written(
            fields.map((f) => stored(f)),
            format,
          );
          expect(hasControlCharacters(output.replaceAll('\n', ''))).toBe(false);
          expect(output.endsWith('\n')).toBe(true);
        }),
        { numRuns: 150 },
      );
    },
  );

  it('keeps JSON lines lossless: each line parses back to the stored event', async () => {
    await fc.assert(
      fc.asyncProperty(hostileEvent, async (fields) => {
        const event = stored(fields);
        const [line, rest] = (await written([event], 'jsonl')).split('\n');
        expect(rest).toBe('');
        expect(JSON.parse(line ?? '')).toEqual(event);
      }),
      { numRuns: 150 },
    );
  });

  it('shows an escape sequence in a reason as visible text in the table and the CSV', () => {
    const event = stored({ reason: 'ok\u001b[2J\u202Eexe', ticket: 'INC-1\u0007' });
    expect(tableRow(event)).toContain('INC-1\\u0007 ok\\u001B[2J\\u202Eexe');
    expect(csvRecord(event)).toMatchObject({ reason: 'ok\\u001B[2J\\u202Eexe', ticket: 'INC-1\\u0007' });
  });

  it('defuses a formula even when it hides behind a control character', () => {
    expect(csvRecord(stored({ reason: '=HYPERLINK("http://x")' })).reason).toBe(`'=HYPERLINK("http://x")`);
    expect(csvRecord(stored({ reason: '\t=1+1' })).reason).toBe('\\u0009=1+1');
  });
});
