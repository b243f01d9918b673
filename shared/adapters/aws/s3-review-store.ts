import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { REVIEW_PREFIX, type ReviewStore } from '../../domain/review-delivery.js';
import { ValidationError } from '../../domain/errors.js';

/**
 * Review objects in S3 under `reviews/` (the stack grants s3:PutObject on `reviews/*` only).
 * A re-run of a period writes the same key: the bucket's versioning keeps the earlier copy.
 */
export class S3ReviewStore implements ReviewStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string, contentType: string): Promise<{ location: string }> {
    if (!key.startsWith(REVIEW_PREFIX))
      throw new ValidationError(`review key outside ${REVIEW_PREFIX}: ${key}`);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return { location: `s3://${this.bucket}/${key}` };
  }
}
