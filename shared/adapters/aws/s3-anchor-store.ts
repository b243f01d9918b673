import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  anchorObjectKey,
  parseSignedAnchor,
  type AnchorStore,
  type SignedAnchor,
  type StoredAnchor,
} from '../../domain/anchors.js';

const DAY_MS = 86_400_000;

export interface S3AnchorStoreOptions {
  readonly bucket: string;
  /** Key prefix, ending in `/`. Default `anchors/`. */
  readonly prefix?: string;
  /**
   * Object Lock retention set on each object (COMPLIANCE, this many days). Unset: the
   * bucket's default retention applies (the stack's bucket has one), and the writer needs no
   * `s3:PutObjectRetention`, which the broker's roles are denied.
   */
  readonly retentionDays?: number;
  /** The clock that finds today's folder (the newest anchors). */
  readonly now?: () => Date;
}

/**
 * Anchors in an S3 bucket with Object Lock (COMPLIANCE): `<prefix>YYYY/MM/DD/<iso>.json`.
 * A put never replaces an object (`If-None-Match: *`), carries a SHA-256 content checksum
 * (Object Lock refuses writes without one) and, when configured, its own retention.
 */
export class S3AnchorStore implements AnchorStore {
  private readonly prefix: string;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3AnchorStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'anchors/';
  }

  async put(anchor: SignedAnchor): Promise<{ location: string }> {
    const key = anchorObjectKey(anchor.payload.createdAt, this.prefix);
    const days = this.options.retentionDays;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: `${JSON.stringify(anchor, null, 2)}\n`,
        ContentType: 'application/json',
        ChecksumAlgorithm: 'SHA256',
        IfNoneMatch: '*',
        ...(days === undefined
          ? {}
          : {
              ObjectLockMode: 'COMPLIANCE',
              ObjectLockRetainUntilDate: new Date(Date.parse(anchor.payload.createdAt) + days * DAY_MS),
            }),
      }),
    );
    return { location: `s3://${this.options.bucket}/${key}` };
  }

  async latest(): Promise<SignedAnchor | undefined> {
    // Today's and yesterday's folders hold the newest anchor of a trail that moves; only a
    // trail idle for longer needs the whole listing.
    const now = (this.options.now ?? (() => new Date()))();
    for (const back of [0, 1]) {
      const day = new Date(now.getTime() - back * DAY_MS).toISOString();
      const keys = await this.keys(anchorObjectKey(day, this.prefix).replace(/[^/]*$/, ''));
      const found = await this.newestOf(keys);
      if (found) return found;
    }
    return this.newestOf(await this.keys(this.prefix));
  }

  async *list(): AsyncIterable<StoredAnchor> {
    for (const key of await this.keys(this.prefix)) {
      yield { location: `s3://${this.options.bucket}/${key}`, anchor: await this.read(key) };
    }
  }

  private async newestOf(keys: string[]): Promise<SignedAnchor | undefined> {
    for (const key of [...keys].reverse()) {
      const anchor = await this.read(key);
      if (anchor) return anchor;
    }
    return undefined;
  }

  private async read(key: string): Promise<SignedAnchor | undefined> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    return parseSignedAnchor((await out.Body?.transformToString('utf8')) ?? '');
  }

  /** Every key under `prefix`, in key (= time) order. */
  private async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of out.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
