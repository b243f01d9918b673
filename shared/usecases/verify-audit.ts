import { ChainVerifier, type ChainBreak } from '../domain/audit.js';
import type { AuditChainReader, ChainHead } from '../domain/audit-query.js';

/** The verdict on one chain. */
export interface ChainReport {
  readonly chain: string;
  /** Events checked and found sound (up to the first break). */
  readonly verified: number;
  readonly head: ChainHead;
  readonly break?: ChainBreak;
}

export interface VerifyAuditResult {
  readonly ok: boolean;
  readonly chains: readonly ChainReport[];
  /** The first break of each broken chain, with its chain. */
  readonly breaks: readonly (ChainBreak & { readonly chain: string })[];
}

/**
 * Verifies the whole audit trail: every chain is read in seq order (streamed, so memory
 * stays flat) and checked link by link, hash by hash, and against its stored head.
 * Reports the first break of each chain (an edited, deleted, inserted or reordered event,
 * or missing newest events).
 *
 * Safe while writers append: the head is read before the events (so events appended
 * meanwhile are not taken for forgeries, the head is read again when the chain runs past
 * it) and event and head are always written together.
 */
export async function verifyAudit(deps: { readonly chains: AuditChainReader }): Promise<VerifyAuditResult> {
  const chains = await Promise.all(deps.chains.chains.map((chain) => verifyOneChain(deps.chains, chain)));
  const breaks = chains.flatMap((c) => (c.break ? [{ ...c.break, chain: c.chain }] : []));
  return { ok: breaks.length === 0, chains, breaks };
}

async function verifyOneChain(reader: AuditChainReader, chain: string): Promise<ChainReport> {
  let head = await reader.readHead(chain);
  const verifier = new ChainVerifier(chain);
  let broken: ChainBreak | undefined;
  for await (const event of reader.readChain(chain)) {
    broken = verifier.push(event);
    if (broken) break;
  }
  if (!broken) {
    // Events beyond the first head read were appended during verification, with their head.
    if (verifier.verified > head.seq) head = await reader.readHead(chain);
    broken = verifier.finish(head);
  }
  return { chain, verified: verifier.verified, head, ...(broken ? { break: broken } : {}) };
}
