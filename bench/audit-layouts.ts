/**
 * What one target's month of audit events costs to read, laid out four ways in DynamoDB Local.
 *
 *   npx tsx bench/audit-layouts.ts [--targets 20] [--events 32700] [--days 30] [--runs 60]
 *
 * Seeds the same `--events` sealed events (about 1,635 per target over `--days`) four times,
 * then reads every target's whole range each way, one request at a time, interleaved run by run
 * after five untimed answers each, and prints p50/p95, the CPU one answer costs this process
 * and DynamoDB Local, the read units DynamoDB reports for it, and the write units the layout
 * took to store the range:
 *
 * 1. as stored: one item per event, every field an attribute, read through the by-target index
 *    (also through `DynamoAuditQuery.stream`, four time slices, as the export reads it);
 * 2. one item per event holding the event as one JSON text beside its key and index attributes;
 * 3. one item per target and day holding that day's events as a JSON array;
 * 4. the same, gzip-compressed.
 *
 * Layouts 3 and 4 would be a copy kept beside the trail (a digest per target and day), not a
 * replacement: the trail's items and their chains stay what `verify` checks. Every layout must
 * give the same answer (the same events, hashes and order), which the run checks first.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditEventToItem, itemToAuditEvent } from '../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../shared/adapters/dynamodb/audit-query.js';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalDynamo,
} from '../shared/adapters/dynamodb/local-server.js';
import { AUDIT_INDEX, AUDIT_TABLE, createTableInput } from '../shared/adapters/dynamodb/tables.js';
import type { AuditEvent } from '../shared/domain/audit.js';
import { generateEvents, percentile, serverCpu } from './audit-trail.js';
import { attachMeter } from './dynamo-meter.js';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '20' },
    events: { type: 'string', default: '32700' },
    days: { type: 'string', default: '30' },
    runs: { type: 'string', default: '60' },
  },
});

const num = (name: keyof typeof args) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};

const END = new Date('2026-06-30T00:00:00.000Z');
const PAGE = 1000;

type Item = Record<string, unknown>;

/** A layout: its table, how an event range becomes items, and how a target's range is read back. */
interface Layout {
  readonly label: string;
  readonly table: string;
  itemsOf(events: readonly AuditEvent[]): Item[];
  read(targetId: string, from: string): Promise<AuditEvent[]>;
}

async function main(): Promise<void> {
  const targets = num('targets');
  const days = num('days');
  const runs = num('runs');
  const dynamo = await startLocalDynamo();
  try {
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 10,
    });
    const meter = attachMeter(client, { capacity: true });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

    /** Every page of a query, one request at a time, newest first. */
    const queryAll = async (
      input: ConstructorParameters<typeof QueryCommand>[0],
      take: (item: Item) => void,
    ) => {
      let key: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            ...input,
            ScanIndexForward: false,
            Limit: PAGE,
            ...(key ? { ExclusiveStartKey: key } : {}),
          }),
        );
        for (const item of page.Items ?? []) take(item);
        key = page.LastEvaluatedKey;
      } while (key);
    };
    const byTarget = (table: string, targetId: string, from: string) => ({
      TableName: table,
      IndexName: AUDIT_INDEX.byTarget,
      KeyConditionExpression: 'targetId = :t AND sortKey >= :from',
      ExpressionAttributeValues: { ':t': targetId, ':from': from },
    });
    const byDay = (table: string, targetId: string, from: string) => ({
      TableName: table,
      KeyConditionExpression: 'targetId = :t AND #day >= :day',
      ExpressionAttributeNames: { '#day': 'day' },
      ExpressionAttributeValues: { ':t': targetId, ':day': from.slice(0, 10) },
    });
    /** One item per target and day, the day's events newest first; `pack` encodes the array. */
    const dayItems = (events: readonly AuditEvent[], pack: (json: string) => unknown): Item[] => {
      const groups = new Map<string, AuditEvent[]>();
      for (const event of events) {
        const key = `${event.targetId}\n${event.at.slice(0, 10)}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push(event);
      }
      return [...groups].map(([key, group]) => {
        const [targetId, day] = key.split('\n') as [string, string];
        // Newest first, in the by-target index's order (`at#chain#seq`).
        const sortKeyOf = (event: AuditEvent) => auditEventToItem(event).sortKey as string;
        group.sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? 1 : -1));
        return { targetId, day, events: pack(JSON.stringify(group)) };
      });
    };
    const unpackDays = (from: string, unpack: (value: unknown) => string) => {
      const events: AuditEvent[] = [];
      return {
        events,
        take: (item: Item) => {
          // The first day read whole; only its events from `from` on belong to the answer.
          for (const event of JSON.parse(unpack(item.events)) as AuditEvent[])
            if (event.at >= from) events.push(event);
        },
      };
    };

    const asStored: Layout = {
      label: 'as stored: one item per event, a field per attribute',
      table: 'layout-as-stored',
      itemsOf: (events) => events.map(auditEventToItem),
      read: async (targetId, from) => {
        const events: AuditEvent[] = [];
        await queryAll(byTarget('layout-as-stored', targetId, from), (item) =>
          events.push(itemToAuditEvent(item)),
        );
        return events;
      },
    };
    const reader = new DynamoAuditQuery(doc, asStored.table, undefined, () => undefined);
    const layouts: Layout[] = [
      asStored,
      {
        label: 'as stored, read by DynamoAuditQuery.stream (4 time slices at once)',
        table: asStored.table,
        itemsOf: () => [],
        read: async (targetId, from) => {
          const events: AuditEvent[] = [];
          for await (const event of reader.stream({ targetId, from }, END)) events.push(event);
          return events;
        },
      },
      {
        label: 'one item per event, the event as one JSON text',
        table: 'layout-json-text',
        itemsOf: (events) =>
          events.map((event) => {
            const { sortKey, day, breakGlassKey } = auditEventToItem(event);
            return {
              chain: event.chain,
              seq: event.seq,
              sortKey,
              day,
              requestId: event.requestId,
              subject: event.subject,
              targetId: event.targetId,
              ...(event.toStatus === undefined ? {} : { toStatus: event.toStatus }),
              ...(breakGlassKey === undefined ? {} : { breakGlassKey }),
              event: JSON.stringify(event),
            };
          }),
        read: async (targetId, from) => {
          const events: AuditEvent[] = [];
          await queryAll(byTarget('layout-json-text', targetId, from), (item) =>
            events.push(JSON.parse(item.event as string) as AuditEvent),
          );
          return events;
        },
      },
      {
        label: "one item per target and day, the day's events as a JSON array",
        table: 'layout-day-json',
        itemsOf: (events) => dayItems(events, (json) => json),
        read: async (targetId, from) => {
          const answer = unpackDays(from, (value) => value as string);
          await queryAll(byDay('layout-day-json', targetId, from), answer.take);
          return answer.events;
        },
      },
      {
        label: 'one item per target and day, gzip-compressed',
        table: 'layout-day-gzip',
        itemsOf: (events) => dayItems(events, (json) => gzipSync(json)),
        read: async (targetId, from) => {
          const answer = unpackDays(from, (value) => gunzipSync(value as Uint8Array).toString('utf8'));
          await queryAll(byDay('layout-day-gzip', targetId, from), answer.take);
          return answer.events;
        },
      },
    ];

    for (const table of ['layout-as-stored', 'layout-json-text'])
      await client.send(new CreateTableCommand(createTableInput(AUDIT_TABLE, table)));
    for (const table of ['layout-day-json', 'layout-day-gzip']) {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'targetId', AttributeType: 'S' },
            { AttributeName: 'day', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'targetId', KeyType: 'HASH' },
            { AttributeName: 'day', KeyType: 'RANGE' },
          ],
        }),
      );
    }

    const events = [...generateEvents(num('events'), 2000, targets, days, END)];
    const writeUnits = new Map<string, number>();
    for (const layout of layouts) {
      const items = layout.itemsOf(events);
      meter.reset();
      for (let i = 0; i < items.length; i += 25) {
        let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const { UnprocessedItems } = await doc.send(
            new BatchWriteCommand({ RequestItems: { [layout.table]: requests } }),
          );
          requests = (UnprocessedItems?.[layout.table] ?? []) as typeof requests;
        }
      }
      writeUnits.set(layout.label, meter.snapshot().wcu);
    }
    console.log(
      `seeded ${events.length} events on ${targets} targets over ${days} days, four layouts ` +
        `(DynamoDB Local ${dynamo.endpoint})`,
    );

    const target = (i: number) => `target-${String(i % targets).padStart(3, '0')}`;
    const from = new Date(END.getTime() - days * 86_400_000).toISOString();
    // The same answer every way: the same events, in the same order, with the same hashes.
    for (let t = 0; t < targets; t++) {
      const answers = await Promise.all(layouts.map((layout) => layout.read(target(t), from)));
      const expected = JSON.stringify(answers[0]?.map((event) => event.hash));
      for (const [i, answer] of answers.entries()) {
        if (JSON.stringify(answer.map((event) => event.hash)) !== expected)
          throw new Error(`${layouts[i]?.label} gave a different answer for ${target(t)}`);
      }
    }
    for (const layout of layouts) for (let i = 0; i < 5; i++) await layout.read(target(i), from);

    const server = serverCpu(dynamo.pid);
    const figures = layouts.map(() => ({ times: [] as number[], reader: 0, server: 0, rcu: 0, events: 0 }));
    for (let i = 0; i < runs; i++) {
      for (const [l, layout] of layouts.entries()) {
        const spent = figures[l] as (typeof figures)[number];
        meter.reset();
        const [c0, s0, t0] = [process.cpuUsage(), server(), performance.now()];
        const answer = await layout.read(target(i), from);
        spent.times.push(performance.now() - t0);
        const used = process.cpuUsage(c0);
        spent.reader += (used.user + used.system) / 1000;
        spent.server += server() - s0;
        spent.rcu += meter.snapshot().rcu;
        spent.events += answer.length;
      }
    }
    console.log(
      `one target's last ${days} days, ${runs} runs each, interleaved ` +
        `(${(figures[0]?.events ?? 0) / runs} events on average):`,
    );
    for (const [l, layout] of layouts.entries()) {
      const { times, reader: readerMs, server: serverMs, rcu } = figures[l] as (typeof figures)[number];
      times.sort((a, b) => a - b);
      const stored = writeUnits.get(layout.label) ?? 0;
      console.log(
        `  ${layout.label}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms; ` +
          `CPU ${(readerMs / runs).toFixed(0)} + ${(serverMs / runs).toFixed(0)} ms (reader + DynamoDB Local); ` +
          `${(rcu / runs).toFixed(1)} read units an answer` +
          (stored > 0 ? `; ${(stored / events.length).toFixed(2)} write units an event to store` : ''),
      );
    }
  } finally {
    await dynamo.stop();
  }
}

await main();
