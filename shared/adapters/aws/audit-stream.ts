import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AuditEvent } from '../../domain/audit.js';
import type { Delivered } from '../../domain/archive.js';
import { itemToAuditEvent } from '../dynamodb/audit-log.js';

/** A stream image's attribute as a plain value (the attribute types audit items use). */
function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plain);
  if (value.M !== undefined) return plainItem(value.M);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(Number);
  return undefined;
}

function plainItem(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, plain(v)]));
}

/**
 * The audit events of a DynamoDB Streams batch, each with its record's sequence number (what
 * a batch item failure names). Only inserted events count: chain heads (seq 0), manifest
 * entries and kept policy versions are not events, and an event is never modified.
 */
export function deliveredAuditEvents(records: readonly DynamoDBRecord[]): Delivered[] {
  const delivered: Delivered[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const sequence = record.dynamodb?.SequenceNumber;
    if (record.eventName !== 'INSERT' || !image || sequence === undefined) continue;
    const item = plainItem(image);
    if (typeof item.seq !== 'number' || item.seq <= 0 || !String(item.chain).startsWith('chain-')) continue;
    delivered.push({ deliveryId: sequence, event: itemToAuditEvent(item) as AuditEvent });
  }
  return delivered;
}
