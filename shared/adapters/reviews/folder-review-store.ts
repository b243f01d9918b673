import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { REVIEW_PREFIX, type ReviewStore } from '../../domain/review-delivery.js';
import { ValidationError } from '../../domain/errors.js';

/**
 * Review objects in a local folder, laid out like the S3 bucket (`reviews/<period>/…` under
 * `root`). For the local runner and tests: the same use case as the scheduled function.
 */
export class FolderReviewStore implements ReviewStore {
  constructor(private readonly root: string) {}

  async put(key: string, body: string): Promise<{ location: string }> {
    const path = resolve(this.root, ...key.split('/'));
    // Why: a key is built from the period, but never let one write outside the reviews folder.
    if (!key.startsWith(REVIEW_PREFIX) || !path.startsWith(resolve(this.root, REVIEW_PREFIX) + sep)) {
      throw new ValidationError(`review key outside ${REVIEW_PREFIX}: ${key}`);
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    return { location: join(this.root, key) };
  }
}
