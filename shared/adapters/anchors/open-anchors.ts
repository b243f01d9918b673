import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AnchorStore } from '../../domain/anchors.js';
import { ValidationError } from '../../domain/errors.js';
import { createAnchorClients } from '../aws/anchor-clients.js';
import { KmsDigestSigner } from '../aws/kms-digest-signer.js';
import { S3AnchorStore } from '../aws/s3-anchor-store.js';
import { FolderAnchorStore } from './folder-anchor-store.js';

/**
 * The anchors at `location`: `s3://bucket/prefix/` (read with the SDK's own credentials and
 * endpoint settings) or a local folder (the local runner's, or a copy an auditor downloaded).
 */
export function openAnchorStore(location: string): AnchorStore {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!s3) return new FolderAnchorStore(location);
  const [, bucket, rest] = s3 as unknown as [string, string, string];
  const prefix = rest === '' ? 'anchors/' : rest.endsWith('/') ? rest : `${rest}/`;
  return new S3AnchorStore(createAnchorClients().s3, { bucket, prefix });
}

/**
 * The anchors' verifying key: a file (PEM, or DER SubjectPublicKeyInfo as `aws kms
 * get-public-key` gives it) for offline verification, or fetched from KMS by key id.
 */
export async function loadAnchorPublicKey(source: {
  readonly file?: string;
  readonly kmsKeyId?: string;
}): Promise<KeyObject> {
  if (source.file !== undefined) {
    const bytes = await readFile(source.file);
    try {
      return bytes.includes('-----BEGIN')
        ? createPublicKey(bytes.toString('utf8'))
        : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    } catch (error) {
      throw new ValidationError(`--public-key ${source.file}: not a PEM or DER public key.`, {
        cause: error,
      });
    }
  }
  if (source.kmsKeyId !== undefined) {
    const { spki } = await new KmsDigestSigner(createAnchorClients().kms, source.kmsKeyId).publicKey();
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  }
  throw new ValidationError('--anchored needs --public-key FILE or --kms-key KEY_ID.');
}
