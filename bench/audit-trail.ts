/**
 * What the audit benchmarks share: a generated trail of realistic, validly sealed events, and
 * the figures they print (percentiles, DynamoDB Local's CPU time).
 */
import { readdirSync } from 'node:fs';
import { commandLineOf, procStatFields } from '../shared/adapters/dynamodb/local-server.js';
import { AUDIT_CHAIN_COUNT } from '../shared/adapters/dynamodb/tables.js';
import {
  chainFor,
  GENESIS_HASH,
  sealEvent,
  type AuditEventInput,
  type AuditEventType,
} from '../shared/domain/audit.js';
import type { RequestStatus } from '../shared/domain/lifecycle.js';

/** A deterministic PRNG (mulberry32), so runs are comparable. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LIFECYCLES: readonly (readonly [AuditEventType, RequestStatus | undefined, number])[][] = [
  // [type, toStatus, minutes after submission]
  [
    ['request.submitted', 'PENDING', 0],
    ['request.approved', 'APPROVED', 4],
    ['grant.activated', 'ACTIVE', 5],
    ['session.issued', undefined, 6],
    ['grant.expired', 'EXPIRED', 65],
  ],
  [
    ['request.submitted', 'PENDING', 0],
    ['request.auto-approved', 'APPROVED', 0],
    ['grant.activated', 'ACTIVE', 1],
    ['grant.revoked', 'REVOKED', 30],
  ],
  [
    ['request.submitted', 'PENDING', 0],
    ['request.denied', 'DENIED', 12],
  ],
  [
    ['break-glass.activated', 'APPROVED', 0],
    ['grant.activated', 'ACTIVE', 1],
    ['grant.expired', 'EXPIRED', 60],
    ['break-glass.reviewed', undefined, 600],
  ],
];

/** How often each lifecycle occurs: approved, auto-approved, denied, break-glass. */
const WEIGHTS = [0.6, 0.25, 0.13, 0.02];

/**
 * Generates `total` sealed events: requests spread evenly over `days` ending at `end`, by
 * `people` people on `targets` targets, each request a realistic lifecycle. Chains are
 * sealed in generation order with only the heads in memory.
 */
export function* generateEvents(total: number, people: number, targets: number, days: number, end: Date) {
  const rand = random(42);
  const heads = new Map<string, { seq: number; hash: string }>();
  const span = days * 86_400_000;
  const meanEvents = LIFECYCLES.reduce((sum, l, i) => sum + (WEIGHTS[i] ?? 0) * l.length, 0);
  const requests = Math.ceil(total / meanEvents);
  let produced = 0;
  for (let r = 0; produced < total; r++) {
    const start = end.getTime() - span + Math.floor((r / requests) * span);
    let pick = rand();
    const index = WEIGHTS.findIndex((w) => (pick -= w) < 0);
    const lifecycle = LIFECYCLES[index < 0 ? 0 : index] as (typeof LIFECYCLES)[number];
    const subject = `U${String(Math.floor(rand() * people)).padStart(6, '0')}`;
    const targetId = `target-${String(Math.floor(rand() * targets)).padStart(3, '0')}`;
    const requestId = `req-${String(r).padStart(9, '0')}`;
    const chain = chainFor(requestId, AUDIT_CHAIN_COUNT);
    let from: RequestStatus | undefined;
    for (const [type, toStatus, minutes] of lifecycle) {
      if (produced >= total) break;
      const input: AuditEventInput = {
        type,
        at: new Date(Math.min(start + minutes * 60_000, end.getTime() - 1)).toISOString(),
        actor: type.startsWith('grant') ? 'system:grant-worker' : subject,
        subject,
        principal: subject.toLowerCase(),
        targetId,
        requestId,
        ...(from ? { fromStatus: from } : {}),
        ...(toStatus ? { toStatus } : {}),
        reason: 'deploy the weekly release',
        ticket: `INC-${r % 10000}`,
        breakGlass: type === 'break-glass.activated' || lifecycle === LIFECYCLES[3],
        ...(type === 'grant.activated' ? { awsRequestId: `aws-${r}` } : {}),
      };
      const head = heads.get(chain) ?? { seq: 0, hash: GENESIS_HASH };
      const event = sealEvent(input, chain, head);
      heads.set(chain, { seq: event.seq, hash: event.hash });
      produced++;
      if (toStatus) from = toStatus;
      yield event;
    }
  }
  return heads;
}
/**
 * DynamoDB Local's Java process serving `endpoint`, found by the port on its command line
 * (Linux only; undefined elsewhere or when it is not on this machine).
 */
export function localDynamoPid(endpoint: string): number | undefined {
  const port = new URL(endpoint).port;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined; // No /proc: not Linux.
  }
  const found = entries.find((entry) => {
    const command = commandLineOf(Number(entry));
    return command?.includes('DynamoDBLocal.jar') === true && command.includes(` -port ${port}`);
  });
  return found === undefined ? undefined : Number(found);
}

/**
 * A reader of the CPU time (user + system, ms) `pid` has used so far, in clock ticks of 10 ms:
 * coarse for one answer, exact enough summed over a run. Always 0 when the process cannot be read.
 */
export function serverCpu(pid: number | undefined): () => number {
  // /proc counts in USER_HZ, which Linux fixes at 100 a second for every architecture's ABI.
  const tickMs = 1000 / 100;
  return () => {
    const fields = pid === undefined ? undefined : procStatFields(pid);
    return fields === undefined ? 0 : (Number(fields[11]) + Number(fields[12])) * tickMs;
  };
}

export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}
