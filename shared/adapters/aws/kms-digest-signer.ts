import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import { ANCHOR_ALGORITHM, type DigestSigner } from '../../domain/anchors.js';
import { BrokerError } from '../../domain/errors.js';

/** KMS answered without a signature or key: never expected from a real key. */
export class AnchorSigningError extends BrokerError {
  static {
    this.prototype.name = 'AnchorSigningError';
  }

  constructor(message: string, cause?: unknown) {
    super('ANCHOR_SIGNING_FAILED', message, { cause });
  }
}

/**
 * Signs anchor digests with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY). Only the
 * SHA-256 digest leaves the function (`MessageType: DIGEST`); the private key never leaves
 * KMS, and its public half can be exported for offline verification.
 */
export class KmsDigestSigner implements DigestSigner {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async sign(message: Uint8Array): Promise<{ signature: Uint8Array; keyId: string }> {
    const out = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: createHash('sha256').update(message).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: ANCHOR_ALGORITHM,
      }),
    );
    if (!out.Signature) throw new AnchorSigningError('KMS returned no signature.');
    return { signature: out.Signature, keyId: out.KeyId ?? this.keyId };
  }

  async publicKey(): Promise<{ keyId: string; spki: Uint8Array }> {
    const out = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (!out.PublicKey) throw new AnchorSigningError('KMS returned no public key.');
    if (out.KeySpec !== undefined && out.KeySpec !== 'ECC_NIST_P256') {
      throw new AnchorSigningError(`Key ${this.keyId} is ${out.KeySpec}, not ECC_NIST_P256.`);
    }
    return { keyId: out.KeyId ?? this.keyId, spki: out.PublicKey };
  }
}
