import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { AuditEvent } from '../../domain/audit.js';
import { escapeControlCharacters } from '../../domain/text.js';

/** Output formats of audit events: a fixed-width table, JSON lines, or CSV. */
export const FORMATS = ['table', 'jsonl', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** The CSV columns, in order: every field of an event, nested values flattened. */
export const CSV_COLUMNS = [
  'at',
  'type',
  'actor',
  'subject',
  'principal',
  'targetId',
  'requestId',
  'fromStatus',
  'toStatus',
  'reason',
  'ticket',
  'approvers',
  'breakGlass',
  'awsRequestId',
  'detail',
  'chain',
  'seq',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV record of an event (approvers joined with `;`, detail as JSON). Every cell is
 * printable text on one line: control characters are shown as `\uXXXX` escapes and cells
 * that a spreadsheet would run as a formula are defused.
 */
export function csvRecord(event: AuditEvent): Record<(typeof CSV_COLUMNS)[number], string> {
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const record: Record<(typeof CSV_COLUMNS)[number], string> = {
    at: event.at,
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    principal: text(event.principal),
    targetId: event.targetId,
    requestId: event.requestId,
    fromStatus: text(event.fromStatus),
    toStatus: text(event.toStatus),
    reason: text(event.reason),
    ticket: text(event.ticket),
    approvers: (event.approvers ?? []).join(';'),
    breakGlass: String(event.breakGlass),
    awsRequestId: text(event.awsRequestId),
    detail: event.detail === undefined ? '' : JSON.stringify(event.detail),
    chain: event.chain,
    seq: String(event.seq),
    prevHash: event.prevHash,
    hash: event.hash,
  };
  for (const column of CSV_COLUMNS) record[column] = printableCell(record[column]);
  return record;
}

/**
 * Why: stored events may predate the domain's refusal of control characters (or come from a
 * path that never checked); an escape sequence must not reach an auditor's terminal or
 * spreadsheet either way. Escaping runs first, so no cell can start with a tab or CR.
 */
function printableCell(value: string): string {
  return noFormula(escapeControlCharacters(value));
}

/**
 * Why: reasons and tickets are typed by requesters; a cell starting with `=`, `+`, `-`, `@`
 * (or a tab/CR) runs as a formula when an auditor opens the export in a spreadsheet.
 * Such cells get a leading apostrophe (OWASP's advice for CSV injection).
 */
export function noFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const TABLE_COLUMNS: readonly { title: string; width: number; value: (e: AuditEvent) => string }[] = [
  { title: 'AT', width: 24, value: (e) => e.at },
  { title: 'TYPE', width: 25, value: (e) => e.type },
  { title: 'ACTOR', width: 20, value: (e) => e.actor },
  { title: 'SUBJECT', width: 12, value: (e) => e.subject },
  { title: 'TARGET', width: 16, value: (e) => e.targetId },
  { title: 'REQUEST', width: 28, value: (e) => e.requestId },
  { title: 'FROM→TO', width: 20, value: (e) => `${e.fromStatus ?? '-'}→${e.toStatus ?? '-'}` },
  { title: 'BG', width: 2, value: (e) => (e.breakGlass ? '!' : '') },
  { title: 'REASON', width: 40, value: (e) => [e.ticket, e.reason].filter(Boolean).join(' ') },
];

function cell(value: string, width: number): string {
  // Why: a terminal interprets control characters; line breaks become spaces, the rest escapes.
  const flat = escapeControlCharacters(value.replace(/[\r\n\t]+/g, ' '));
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width);
}

/**
 * One JSON line. JSON.stringify escapes C0 characters but not DEL, C1, bidi controls or the
 * Unicode line separators; escaping those too keeps the line lossless (they sit only inside
 * strings, where `\uXXXX` is the same character) and harmless in a terminal.
 */
export function jsonLine(event: AuditEvent): string {
  return `${escapeControlCharacters(JSON.stringify(event))}\n`;
}

/** A table row; columns have fixed widths so rows stream without reading everything first. */
export function tableRow(event: AuditEvent): string {
  return `${TABLE_COLUMNS.map((c) => cell(c.value(event), c.width))
    .join(' ')
    .trimEnd()}\n`;
}

export function tableHeader(): string {
  return `${TABLE_COLUMNS.map((c) => cell(c.title, c.width))
    .join(' ')
    .trimEnd()}\n`;
}

function lines(render: (event: AuditEvent) => string, header?: string): Transform {
  let first = header !== undefined;
  return new Transform({
    writableObjectMode: true,
    transform(event: AuditEvent, _encoding, callback) {
      const out = first ? `${header}${render(event)}` : render(event);
      first = false;
      callback(null, out);
    },
    flush(callback) {
      // An empty result still gets its header.
      callback(null, first ? header : undefined);
    },
  });
}

/**
 * Writes events to `out` in `format`, streamed with backpressure: a slow reader (a pipe,
 * a file on a slow disk) pauses the reads, so memory stays flat however many events there
 * are. `out` is not ended (it may be stdout). Returns how many events were written.
 */
export async function writeEvents(
  events: AsyncIterable<AuditEvent>,
  format: Format,
  out: Writable,
): Promise<number> {
  let count = 0;
  async function* counted() {
    for await (const event of events) {
      count++;
      yield event;
    }
  }
  const source = Readable.from(counted(), { objectMode: true, highWaterMark: 64 });
  const transform =
    format === 'csv'
      ? stringify({ header: true, columns: [...CSV_COLUMNS], cast: { boolean: (b) => String(b) } })
      : format === 'jsonl'
        ? lines(jsonLine)
        : lines(tableRow, tableHeader());
  const csvInput =
    format === 'csv'
      ? new Transform({
          objectMode: true,
          transform(event: AuditEvent, _encoding, callback) {
            callback(null, csvRecord(event));
          },
        })
      : undefined;
  await (csvInput
    ? pipeline(source, csvInput, transform, out, { end: false })
    : pipeline(source, transform, out, { end: false }));
  return count;
}
