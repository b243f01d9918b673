import { createHash } from 'node:crypto';
import {
  dayStart,
  digestsOfDay,
  nextDay,
  type AuditDigestStore,
  type DigestSpan,
} from '../domain/audit-digest.js';
import {
  canonicalJson,
  ChainVerifier,
  misplacementOf,
  type AuditEvent,
  type ChainBreak,
  type MisplacedEvent,
} from '../domain/audit.js';
import {
  daysBetween,
  type AuditChainReader,
  type AuditReader,
  type ChainHead,
} from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';

/** The verdict on one chain. */
export interface ChainReport {
  readonly chain: string;
  /** Events checked and found sound (up to the first break). */
  readonly verified: number;
  readonly head: ChainHead;
  /** The chain's manifest entry; absent for a chain never used or written before manifests. */
  readonly manifest?: ChainHead;
  readonly break?: ChainBreak;
}

export interface VerifyAuditResult {
  readonly ok: boolean;
  readonly chains: readonly ChainReport[];
  /** The first break of each broken chain, with its chain. */
  readonly breaks: readonly (ChainBreak & { readonly chain: string })[];
  /** Events stored outside their request's chain (unknown chains included): each one fails the trail. */
  readonly misplaced: readonly MisplacedEvent[];
  /** Worth a look, not a failure (chains written before manifests were kept). */
  readonly warnings: readonly string[];
  /** The audit digests checked against the trail (absent when no digest store was given). */
  readonly digests?: DigestCheck;
}

/** The verdict on the audit digests: each day of their span, every target, against the trail. */
export interface DigestCheck {
  /** The days the digests cover (absent: none is digested yet). */
  readonly span?: DigestSpan;
  /** Digests found equal to the trail. */
  readonly verified: number;
  /** One line per digest that is unreadable, differs from the trail, is missing or should not exist. */
  readonly findings: readonly string[];
}

export interface VerifyAuditDeps {
  readonly chains: AuditChainReader;
  /** Bounds the walk over the by-day index (up to a day past now, for writers' clock skew). */
  readonly clock: Clock;
  /**
   * The audit digests and the reader of the trail's days to check them against. Absent: the
   * digests are not checked (a target's answers may still read them: pass them wherever they exist).
   */
  readonly digests?: {
    readonly store: Pick<AuditDigestStore, 'span' | 'readAll'>;
    readonly trail: Pick<AuditReader, 'stream'>;
  };
}

const DAY_MS = 86_400_000;

/**
 * Verifies the whole audit trail: every chain is read in seq order (streamed, so memory
 * stays flat) and checked link by link, hash by hash, and against its stored head and its
 * manifest entry. Reports the first break of each chain (an edited, deleted, inserted or
 * reordered event, missing newest events, or a chain deleted or truncated with its head).
 * Then walks the by-day index, which lists every event whatever its chain, from the oldest
 * day of the trail to a day past now, and reports every event that is not on its request's
 * chain: one stored under an unknown chain (`chain-99`) passes no chain check otherwise.
 *
 * A chain with events but no manifest entry was written before manifests were kept: it is
 * checked against its head alone and reported as a warning, not a failure, so that trails
 * written by earlier releases still verify (its next append creates the entry).
 *
 * Safe while writers append: head and manifest are read together before the events (so events
 * appended meanwhile are not taken for forgeries, they are read again when the chain runs past
 * them) and event, head and manifest are always written together.
 */
export async function verifyAudit(deps: VerifyAuditDeps): Promise<VerifyAuditResult> {
  const reader = deps.chains;
  const chainCount = reader.chains.length;
  const findings = new Map<string, MisplacedEvent>();
  const report = (finding: MisplacedEvent) => findings.set(`${finding.chain}#${finding.seq}`, finding);
  let oldestAt: string | undefined;
  const chains = await Promise.all(
    reader.chains.map((chain) =>
      verifyOneChain(reader, chain, {
        read: (event) => {
          const misplaced = misplacementOf(event, chainCount);
          if (misplaced) report(misplaced);
        },
        // Only sound events bound the day walk: a forged time must not stretch it to year 1.
        verified: (event) => {
          if (oldestAt === undefined || event.at < oldestAt) oldestAt = event.at;
        },
      }),
    ),
  );
  const now = deps.clock.now();
  const newestDay = new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
  for (const day of daysBetween(newestDay, (oldestAt ?? now.toISOString()).slice(0, 10))) {
    for await (const stored of reader.readDay(day)) {
      const misplaced = misplacementOf(stored, chainCount);
      if (misplaced) report(misplaced);
    }
  }
  const breaks = chains.flatMap((c) => (c.break ? [{ ...c.break, chain: c.chain }] : []));
  const warnings = chains
    .filter((c) => c.manifest === undefined && (c.verified > 0 || c.head.seq > 0))
    .map(
      (c) =>
        `${c.chain}: no manifest entry (written before manifests were kept); checked against its head only`,
    );
  const misplaced = [...findings.values()];
  const digests = deps.digests ? await checkDigests(deps.digests, now) : undefined;
  return {
    ok: breaks.length === 0 && misplaced.length === 0 && (digests?.findings.length ?? 0) === 0,
    chains,
    breaks,
    misplaced,
    warnings,
    ...(digests ? { digests } : {}),
  };
}

/**
 * Checks every digest of the span's days against the trail: for each day, the day's events
 * are read from the trail (the by-day index; events off their chain withheld, as the digest run
 * does) and grouped by target as the digest run groups them, and each target's digest must hold
 * exactly those events, byte for byte in canonical JSON, in the same order. A digest whose
 * target had no event that day, a digest missing, and a digest that cannot be read are findings.
 * Digests are compared by a SHA-256 of their events, so memory holds one line per digest.
 */
async function checkDigests(
  digests: NonNullable<VerifyAuditDeps['digests']>,
  now: Date,
): Promise<DigestCheck> {
  const findings: string[] = [];
  let span: DigestSpan | undefined;
  try {
    span = await digests.store.span();
  } catch (error) {
    return { verified: 0, findings: [(error as Error).message] };
  }
  if (span === undefined) return { verified: 0, findings: [] };
  const inSpan = (day: string) => day >= (span as DigestSpan).since && day <= (span as DigestSpan).through;
  const stored = new Map<string, string>();
  // Digests that cannot be read: reported here, once.
  const unreadable = new Set<string>();
  for await (const digest of digests.store.readAll()) {
    if (!inSpan(digest.day)) continue; // Written by a run that stopped before the span moved: never read.
    const key = `${digest.day} ${digest.targetId}`;
    if ('problem' in digest) {
      findings.push(`${key}: ${digest.problem}`);
      unreadable.add(key);
    } else stored.set(key, fingerprintOf(digest.events));
  }
  let verified = 0;
  for (const day of daysBetween(span.through, span.since)) {
    const events: AuditEvent[] = [];
    for await (const event of digests.trail.stream({ from: dayStart(day), to: dayStart(nextDay(day)) }, now))
      events.push(event);
    for (const expected of digestsOfDay(day, events)) {
      const key = `${day} ${expected.targetId}`;
      const found = stored.get(key);
      stored.delete(key);
      if (unreadable.has(key)) continue;
      if (found === undefined) {
        findings.push(
          `${key}: no digest, though the trail holds ${expected.events.length} events of the target that day`,
        );
      } else if (found !== fingerprintOf(expected.events)) {
        findings.push(
          `${key}: the digest differs from the trail (events edited, dropped, added or reordered)`,
        );
      } else verified += 1;
    }
  }
  for (const key of stored.keys()) findings.push(`${key}: a digest for a target with no events that day`);
  return { span, verified, findings };
}

/** A digest's fingerprint: SHA-256 over its events' canonical JSON, in order. */
function fingerprintOf(events: readonly AuditEvent[]): string {
  const hash = createHash('sha256');
  for (const event of events) hash.update(canonicalJson(event)).update('\n');
  return hash.digest('base64url');
}

async function verifyOneChain(
  reader: AuditChainReader,
  chain: string,
  seen: { read(event: AuditEvent): void; verified(event: AuditEvent): void },
): Promise<ChainReport> {
  let ends = await reader.readChainEnds(chain);
  const verifier = new ChainVerifier(chain);
  let broken: ChainBreak | undefined;
  for await (const event of reader.readChain(chain)) {
    seen.read(event);
    broken = verifier.push(event);
    if (broken) break;
    seen.verified(event);
  }
  if (!broken) {
    // Events beyond the first read were appended during verification, with their head.
    if (verifier.verified > ends.head.seq) ends = await reader.readChainEnds(chain);
    broken = verifier.finish(ends.head, ends.manifest);
  }
  return {
    chain,
    verified: verifier.verified,
    head: ends.head,
    ...(ends.manifest ? { manifest: ends.manifest } : {}),
    ...(broken ? { break: broken } : {}),
  };
}
