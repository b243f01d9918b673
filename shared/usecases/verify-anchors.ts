import type { KeyObject } from 'node:crypto';
import { anchorSignatureValid, type AnchorStore } from '../domain/anchors.js';
import type { AuditEvent } from '../domain/audit.js';
import type { AuditChainReader } from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';
import { verifyAudit, type VerifyAuditDeps, type VerifyAuditResult } from './verify-audit.js';

/** A place where the table disagrees with an anchor, or an anchor cannot be trusted. */
export interface AnchorFinding {
  /** The chain concerned; absent for a finding about an anchor object itself. */
  readonly chain?: string;
  readonly seq?: number;
  /** The anchored hash at `seq`, and what the table holds there (absent: no event). */
  readonly expected?: string;
  readonly actual?: string;
  /** The anchor that says so (its location). */
  readonly anchor: string;
  readonly message: string;
}

export interface AnchorsReport {
  /** Anchors read, of this table, with a valid signature. */
  readonly checked: number;
  /** Time of the newest valid anchor of this table; events after it are vouched for by the table alone. */
  readonly newest?: string;
  readonly findings: readonly AnchorFinding[];
}

export interface VerifyAnchoredResult extends VerifyAuditResult {
  readonly anchors: AnchorsReport;
}

export interface VerifyAnchoredDeps {
  readonly chains: AuditChainReader;
  readonly clock: Clock;
  readonly anchors: Pick<AnchorStore, 'list'>;
  /** The verifying key (exported from KMS, or the local PEM). Never taken from the anchors. */
  readonly publicKey: KeyObject;
  /** The audit table's name; anchors of other tables are ignored. */
  readonly table: string;
  /** The audit digests, checked against the trail as plain `verify` checks them (when given). */
  readonly digests?: VerifyAuditDeps['digests'];
}

interface Expected {
  readonly hash: string;
  readonly anchor: string;
}

/**
 * Verifies the audit trail as {@link verifyAudit} does, and against every anchor: each anchor's
 * signature must be valid under `publicKey`, and for each chain, each anchored (seq, hash) must
 * be in the table (the event at that seq has that hash) with the chain going on from it. A
 * rewrite consistent with itself (events, head and manifest recomputed) passes plain verify but
 * not this: the rewritten event at an anchored seq has another hash. Every anchor counts, not
 * only the newest, since the anchor schedule will sign a rewritten table's heads too; the older
 * anchors, locked in S3, still disagree with it. Anchored hashes are checked as the chains are
 * streamed, so the table is read once.
 */
export async function verifyAnchoredAudit(deps: VerifyAnchoredDeps): Promise<VerifyAnchoredResult> {
  const findings: AnchorFinding[] = [];
  const expected = new Map<string, Map<number, Expected>>();
  let checked = 0;
  let newest: string | undefined;
  for await (const stored of deps.anchors.list()) {
    const { anchor, location } = stored;
    if (!anchor) {
      findings.push({ anchor: location, message: `${location}: not an anchor (unreadable or malformed)` });
      continue;
    }
    if (!anchorSignatureValid(anchor, deps.publicKey)) {
      findings.push({
        anchor: location,
        message: `${location}: the signature does not verify with the given public key`,
      });
      continue;
    }
    if (anchor.payload.table !== deps.table) continue;
    checked++;
    if (newest === undefined || anchor.payload.createdAt > newest) newest = anchor.payload.createdAt;
    for (const head of anchor.payload.heads) {
      if (head.seq === 0) continue;
      const bySeq = expected.get(head.chain) ?? new Map<number, Expected>();
      expected.set(head.chain, bySeq);
      const earlier = bySeq.get(head.seq);
      if (earlier && earlier.hash !== head.hash) {
        // Two signed anchors disagree: the signing key signed a rewritten table.
        findings.push({
          chain: head.chain,
          seq: head.seq,
          expected: earlier.hash,
          actual: head.hash,
          anchor: location,
          message: `${head.chain} #${head.seq}: ${location} anchors another hash than ${earlier.anchor} (the table was rewritten between them)`,
        });
      } else if (!earlier) {
        bySeq.set(head.seq, { hash: head.hash, anchor: location });
      }
    }
  }
  if (checked === 0) {
    findings.push({ anchor: '', message: `no valid anchor of table ${deps.table} was found` });
  }

  const lastSeen = new Map<string, number>();
  const observe = (chain: string, event: AuditEvent) => {
    lastSeen.set(chain, event.seq);
    const want = expected.get(chain)?.get(event.seq);
    if (want && want.hash !== event.hash) {
      findings.push({
        chain,
        seq: event.seq,
        expected: want.hash,
        actual: event.hash,
        anchor: want.anchor,
        message: `${chain} #${event.seq}: the table holds another hash than ${want.anchor} anchored (the chain was rewritten at or before this event)`,
      });
    }
  };
  const reader: AuditChainReader = {
    chains: deps.chains.chains,
    readChainEnds: (chain) => deps.chains.readChainEnds(chain),
    readDay: (day) => deps.chains.readDay(day),
    async *readChain(chain) {
      for await (const event of deps.chains.readChain(chain)) {
        observe(chain, event);
        yield event;
      }
    },
  };
  const plain = await verifyAudit({
    chains: reader,
    clock: deps.clock,
    ...(deps.digests ? { digests: deps.digests } : {}),
  });

  for (const report of plain.chains) {
    // A broken chain is reported by plain verify; what lies past its break was not read.
    if (report.break) continue;
    const seen = lastSeen.get(report.chain) ?? 0;
    for (const [seq, want] of expected.get(report.chain) ?? []) {
      if (seq > seen) {
        findings.push({
          chain: report.chain,
          seq,
          expected: want.hash,
          anchor: want.anchor,
          message: `${report.chain} #${seq}: anchored by ${want.anchor} but the chain ends at #${seen} (truncated or deleted)`,
        });
      }
    }
  }
  for (const chain of expected.keys()) {
    if (!deps.chains.chains.includes(chain)) {
      findings.push({ chain, anchor: '', message: `${chain}: anchored, but not one of the trail's chains` });
    }
  }
  return {
    ...plain,
    ok: plain.ok && findings.length === 0,
    anchors: { checked, ...(newest === undefined ? {} : { newest }), findings },
  };
}
