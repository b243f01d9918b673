import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DigestSigner } from '../../domain/anchors.js';

/** File names of the local signing key and its public half inside the key folder. */
export const LOCAL_SIGNING_KEY_FILE = 'anchor-signing-key.pem';
export const LOCAL_PUBLIC_KEY_FILE = 'anchor-public-key.pem';

/**
 * The local stand-in for the KMS signing key: an ECDSA P-256 key made once and kept in the
 * local data folder (private key readable by its owner only), producing the same DER
 * signatures over the same SHA-256 digest as KMS `ECDSA_SHA_256`. The public key is written
 * beside it as PEM, so `jit-audit verify --anchored --public-key` can check local anchors.
 */
export class LocalDigestSigner implements DigestSigner {
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    this.keyId = `local:${createHash('sha256').update(this.spki()).digest('hex').slice(0, 16)}`;
  }

  /** Loads the key kept in `dir`, making (and saving) one on first use. */
  static inFolder(dir: string): LocalDigestSigner {
    const path = join(dir, LOCAL_SIGNING_KEY_FILE);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true });
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    }
    const signer = new LocalDigestSigner(createPrivateKey(pem));
    writeFileSync(join(dir, LOCAL_PUBLIC_KEY_FILE), signer.publicKeyPem());
    return signer;
  }

  /** A key that lives only in memory (tests, `LOCAL_DATA_DIR=memory`). */
  static ephemeral(): LocalDigestSigner {
    return new LocalDigestSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  }

  async sign(message: Uint8Array): Promise<{ signature: Uint8Array; keyId: string }> {
    return { signature: sign('sha256', message, this.privateKey), keyId: this.keyId };
  }

  async publicKey(): Promise<{ keyId: string; spki: Uint8Array }> {
    return { keyId: this.keyId, spki: this.spki() };
  }

  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }) as string;
  }

  private spki(): Buffer {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'der' });
  }
}
