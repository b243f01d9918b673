import {
  anchorMessage,
  anchorPayload,
  ANCHOR_ALGORITHM,
  headsMoved,
  type AnchoredHead,
  type AnchorMetrics,
  type AnchorStore,
  type DigestSigner,
  type SignedAnchor,
} from '../domain/anchors.js';
import type { AuditChainReader } from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';
import type { UseCaseLogger } from './deps.js';

export interface AnchorAuditDeps {
  /** Reads each chain's head (and manifest entry). */
  readonly chains: Pick<AuditChainReader, 'chains' | 'readChainEnds'>;
  readonly signer: DigestSigner;
  readonly store: AnchorStore;
  readonly clock: Clock;
  /** The audit table's name, written into every anchor. */
  readonly table: string;
  readonly logger: UseCaseLogger & { error(message: string, fields?: Record<string, unknown>): void };
  readonly metrics: AnchorMetrics;
}

export type AnchorRun =
  | { readonly status: 'anchored'; readonly location: string; readonly anchor: SignedAnchor }
  /** No chain moved since the newest anchor (`createdAt`), or none was ever written: nothing written. */
  | { readonly status: 'unchanged'; readonly createdAt?: string }
  /**
   * Not signed: the table contradicts the newest anchor or itself (a chain shorter than
   * anchored, or a head its manifest entry disagrees with). Signing would vouch for a rewrite.
   */
  | { readonly status: 'refused'; readonly problems: readonly string[] }
  /** Out of time, or a read, a signature or a write failed: the next run tries again. */
  | { readonly status: 'failed'; readonly error: string };

/**
 * Anchors the audit trail: reads every chain's head, and when any moved since the newest
 * anchor, signs a digest of all of them (chain, seq, hash, time) and stores it immutably.
 * Never throws: a failure is logged, counted (`AnchorFailures`) and retried by the next run.
 * `shouldStop` is asked before each step (read, sign, write), so a run never outlives its budget.
 */
export async function anchorAuditHeads(
  deps: AnchorAuditDeps,
  options: { readonly shouldStop?: () => boolean } = {},
): Promise<AnchorRun> {
  const fail = (error: string): AnchorRun => {
    deps.logger.error('audit anchor failed; the next run tries again', { error });
    deps.metrics.count('AnchorFailures');
    return { status: 'failed', error };
  };
  const outOfTime = () => options.shouldStop?.() === true;
  try {
    if (outOfTime()) return fail('out of time before reading the heads');
    const createdAt = deps.clock.now();
    const ends = await Promise.all(
      deps.chains.chains.map(async (chain) => ({ chain, ...(await deps.chains.readChainEnds(chain)) })),
    );
    const heads: AnchoredHead[] = ends.map(({ chain, head }) => ({ chain, seq: head.seq, hash: head.hash }));
    const latest = await deps.store.latest();
    // Anchors of another table (a shared bucket) say nothing about this one.
    const previous = latest?.payload.table === deps.table ? latest : undefined;
    const problems = [
      ...ends.flatMap(({ chain, head, manifest }) =>
        manifest && (manifest.seq !== head.seq || manifest.hash !== head.hash)
          ? [`${chain}: head #${head.seq} disagrees with its manifest entry #${manifest.seq}`]
          : [],
      ),
      ...regressions(previous?.payload.heads ?? [], heads),
    ];
    if (problems.length > 0) {
      // Why: an anchor must never vouch for a chain shorter than one already anchored.
      deps.logger.error(
        'audit anchor refused: the table contradicts itself or the newest anchor; run verify --anchored',
        {
          problems,
        },
      );
      deps.metrics.count('AnchorFailures');
      return { status: 'refused', problems };
    }
    if (!headsMoved(previous?.payload.heads, heads)) {
      return { status: 'unchanged', ...(previous ? { createdAt: previous.payload.createdAt } : {}) };
    }
    if (outOfTime()) return fail('out of time before signing');
    const payload = anchorPayload(deps.table, createdAt, heads);
    const { signature, keyId } = await deps.signer.sign(anchorMessage(payload));
    const anchor: SignedAnchor = {
      payload,
      signature: Buffer.from(signature).toString('base64'),
      keyId,
      algorithm: ANCHOR_ALGORITHM,
    };
    if (outOfTime()) return fail('out of time before writing');
    const { location } = await deps.store.put(anchor);
    deps.metrics.count('AnchorsWritten');
    deps.logger.info('audit heads anchored', { location, chains: heads.length, keyId });
    return { status: 'anchored', location, anchor };
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** Chains that now end before where an earlier anchor saw them end. */
function regressions(anchored: readonly AnchoredHead[], current: readonly AnchoredHead[]): string[] {
  const now = new Map(current.map((h) => [h.chain, h]));
  return anchored.flatMap((a) => {
    const head = now.get(a.chain);
    const seq = head?.seq ?? 0;
    if (seq < a.seq) return [`${a.chain}: head #${seq} is behind the anchored #${a.seq}`];
    if (seq === a.seq && head?.hash !== a.hash) return [`${a.chain}: #${seq} has another hash than anchored`];
    return [];
  });
}
