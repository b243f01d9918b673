import {
  ChainVerifier,
  misplacementOf,
  type AuditEvent,
  type ChainBreak,
  type MisplacedEvent,
} from '../domain/audit.js';
import { daysBetween, type AuditChainReader, type ChainHead } from '../domain/audit-query.js';
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
}

export interface VerifyAuditDeps {
  readonly chains: AuditChainReader;
  /** Bounds the walk over the by-day index (up to a day past now, for writers' clock skew). */
  readonly clock: Clock;
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
  return { ok: breaks.length === 0 && misplaced.length === 0, chains, breaks, misplaced, warnings };
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
