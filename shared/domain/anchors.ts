import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { canonicalJson } from './audit.js';

/**
 * Anchors: signed digests of every audit chain's head, kept outside the audit table (an S3
 * Object Lock bucket in AWS). The chain heads live in the same table as the events, so a
 * writer of that table could rewrite a chain, its head and its manifest entry consistently;
 * an anchor signed earlier with a key the broker cannot forge offline still holds the old
 * (seq, hash) of each chain, and the rewritten table no longer contains it.
 */

/** The digest format; a verifier refuses any other. */
export const ANCHOR_VERSION = 1;

/** The only signing algorithm anchors use (KMS `ECDSA_SHA_256` over an ECC_NIST_P256 key). */
export const ANCHOR_ALGORITHM = 'ECDSA_SHA_256';

/** One chain's head as anchored. */
export interface AnchoredHead {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
}

/** What is signed: canonical JSON of this, hashed with SHA-256. */
export interface AnchorPayload {
  readonly version: typeof ANCHOR_VERSION;
  /** The audit table whose heads these are. */
  readonly table: string;
  /** ISO-8601 time the heads were read. */
  readonly createdAt: string;
  /** Every chain's head, sorted by chain. */
  readonly heads: readonly AnchoredHead[];
}

/** An anchor as stored: the payload, its signature (DER, base64), and who signed it how. */
export interface SignedAnchor {
  readonly payload: AnchorPayload;
  readonly signature: string;
  readonly keyId: string;
  readonly algorithm: typeof ANCHOR_ALGORITHM;
}

/** Builds the payload of a set of heads: sorted by chain so that equal heads sign equal bytes. */
export function anchorPayload(table: string, createdAt: Date, heads: readonly AnchoredHead[]): AnchorPayload {
  const sorted = [...heads]
    .map(({ chain, seq, hash }) => ({ chain, seq, hash }))
    .sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
  return { version: ANCHOR_VERSION, table, createdAt: createdAt.toISOString(), heads: sorted };
}

/** The bytes that are signed (their SHA-256 is the digest KMS signs). */
export function anchorMessage(payload: AnchorPayload): Buffer {
  return Buffer.from(canonicalJson(payload), 'utf8');
}

/** The SHA-256 digest of a payload: what `kms:Sign` with `MessageType: DIGEST` receives. */
export function anchorDigest(payload: AnchorPayload): Buffer {
  return createHash('sha256').update(anchorMessage(payload)).digest();
}

/** Whether any chain's head differs between two sets of heads (a new chain counts as moved). */
export function headsMoved(
  previous: readonly AnchoredHead[] | undefined,
  current: readonly AnchoredHead[],
): boolean {
  if (!previous) return current.some((h) => h.seq > 0);
  const before = new Map(previous.map((h) => [h.chain, h]));
  return current.some((h) => {
    const old = before.get(h.chain);
    return old ? old.seq !== h.seq || old.hash !== h.hash : h.seq > 0;
  });
}

/**
 * Whether `anchor` carries a valid signature of its payload by `publicKey` (ECDSA P-256,
 * SHA-256, DER signature). Pure: runs offline with an exported public key.
 */
export function anchorSignatureValid(anchor: SignedAnchor, publicKey: KeyObject): boolean {
  if (anchor.algorithm !== ANCHOR_ALGORITHM || anchor.payload.version !== ANCHOR_VERSION) return false;
  try {
    return verifySignature(
      'sha256',
      anchorMessage(anchor.payload),
      publicKey,
      Buffer.from(anchor.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** Where an anchor is stored: `anchors/YYYY/MM/DD/<iso time>.json`, so keys sort by time. */
export function anchorObjectKey(createdAt: string, prefix = 'anchors/'): string {
  return `${prefix}${createdAt.slice(0, 4)}/${createdAt.slice(5, 7)}/${createdAt.slice(8, 10)}/${createdAt}.json`;
}

/** Signs anchor digests. The KMS adapter signs in KMS; the local one with a key on disk. */
export interface DigestSigner {
  /**
   * Signs `message` with ECDSA P-256 over its SHA-256 (KMS receives only the digest).
   * Returns the DER signature and the id of the key that made it.
   */
  sign(message: Uint8Array): Promise<{ readonly signature: Uint8Array; readonly keyId: string }>;
  /** The verifying key as DER SubjectPublicKeyInfo (what KMS GetPublicKey returns). */
  publicKey(): Promise<{ readonly keyId: string; readonly spki: Uint8Array }>;
}

/**
 * Keeps anchors. Invariants: `put` never overwrites (a stored anchor is immutable: S3 Object
 * Lock in COMPLIANCE mode in AWS); `list` yields every anchor, oldest first.
 */
export interface AnchorStore {
  put(anchor: SignedAnchor): Promise<{ readonly location: string }>;
  /** The newest anchor that parses, if any. */
  latest(): Promise<SignedAnchor | undefined>;
  /** Every stored object, oldest first; `anchor` is undefined where the object is not an anchor. */
  list(): AsyncIterable<StoredAnchor>;
}

/** One stored object of an anchor store. */
export interface StoredAnchor {
  /** Where it is (a file path, an `s3://` URL). */
  readonly location: string;
  /** Undefined when the object does not parse as an anchor: a verification finding, never skipped. */
  readonly anchor: SignedAnchor | undefined;
}

/** Parses a stored anchor; undefined when the text is not one (bad JSON or shape). */
export function parseSignedAnchor(text: string): SignedAnchor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const a = value as Partial<SignedAnchor> | null;
  const p = a?.payload;
  if (
    !a ||
    typeof a.signature !== 'string' ||
    typeof a.keyId !== 'string' ||
    a.algorithm !== ANCHOR_ALGORITHM ||
    !p ||
    p.version !== ANCHOR_VERSION ||
    typeof p.table !== 'string' ||
    typeof p.createdAt !== 'string' ||
    !Array.isArray(p.heads) ||
    !p.heads.every(
      (h: unknown) =>
        typeof (h as AnchoredHead).chain === 'string' &&
        Number.isSafeInteger((h as AnchoredHead).seq) &&
        typeof (h as AnchoredHead).hash === 'string',
    )
  ) {
    return undefined;
  }
  return a as SignedAnchor;
}

/** The anchor metrics: the infrastructure alarms on `AnchorFailures`. */
export type AnchorMetricName = 'AnchorsWritten' | 'AnchorFailures';

/** Counts anchor outcomes (CloudWatch via Powertools in AWS). */
export interface AnchorMetrics {
  count(name: AnchorMetricName, value?: number): void;
}
