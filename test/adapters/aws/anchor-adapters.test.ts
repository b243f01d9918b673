import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDigestSigner } from '../../../shared/adapters/anchors/local-digest-signer.js';
import { KmsDigestSigner } from '../../../shared/adapters/aws/kms-digest-signer.js';
import { S3AnchorStore } from '../../../shared/adapters/aws/s3-anchor-store.js';
import {
  anchorMessage,
  anchorPayload,
  anchorSignatureValid,
  type SignedAnchor,
} from '../../../shared/domain/anchors.js';

const kms = mockClient(KMSClient);
const s3 = mockClient(S3Client);
afterEach(() => {
  kms.reset();
  s3.reset();
});

const payload = anchorPayload('audit', new Date('2026-03-01T10:05:00.000Z'), [
  { chain: 'chain-01', seq: 2, hash: 'b'.repeat(64) },
  { chain: 'chain-00', seq: 5, hash: 'a'.repeat(64) },
]);

async function signedLocally(): Promise<{ anchor: SignedAnchor; signer: LocalDigestSigner }> {
  const signer = LocalDigestSigner.ephemeral();
  const { signature, keyId } = await signer.sign(anchorMessage(payload));
  return {
    signer,
    anchor: {
      payload,
      signature: Buffer.from(signature).toString('base64'),
      keyId,
      algorithm: 'ECDSA_SHA_256',
    },
  };
}

describe('KmsDigestSigner', () => {
  it('sends KMS only the SHA-256 digest, as a DIGEST for ECDSA_SHA_256', async () => {
    kms
      .on(SignCommand)
      .resolves({ Signature: new Uint8Array([1, 2]), KeyId: 'arn:aws:kms:eu-west-1:1:key/k' });
    const out = await new KmsDigestSigner(new KMSClient({ region: 'eu-west-1' }), 'alias/anchors').sign(
      anchorMessage(payload),
    );
    expect(out.keyId).toBe('arn:aws:kms:eu-west-1:1:key/k');
    const sent = kms.commandCalls(SignCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({
      KeyId: 'alias/anchors',
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(Buffer.from(sent?.Message as Uint8Array)).toEqual(
      createHash('sha256').update(anchorMessage(payload)).digest(),
    );
  });

  it('gives the DER public key, refusing a key of another spec', async () => {
    const { signer } = await signedLocally();
    const { spki } = await signer.publicKey();
    kms.on(GetPublicKeyCommand).resolves({ PublicKey: spki, KeyId: 'k', KeySpec: 'ECC_NIST_P256' });
    const client = new KMSClient({ region: 'eu-west-1' });
    expect((await new KmsDigestSigner(client, 'k').publicKey()).spki).toEqual(spki);
    kms.on(GetPublicKeyCommand).resolves({ PublicKey: spki, KeyId: 'k', KeySpec: 'RSA_2048' });
    await expect(new KmsDigestSigner(client, 'k').publicKey()).rejects.toThrow(/not ECC_NIST_P256/);
  });
});

describe('anchor signatures', () => {
  it('verify with the signer’s public key only, and not once the payload changed', async () => {
    const { anchor, signer } = await signedLocally();
    const key = createPublicKey(signer.publicKeyPem());
    expect(anchorSignatureValid(anchor, key)).toBe(true);
    const heads = [{ ...payload.heads[0]!, seq: 6 }, payload.heads[1]!];
    expect(anchorSignatureValid({ ...anchor, payload: { ...payload, heads } }, key)).toBe(false);
    expect(anchorSignatureValid(anchor, createPublicKey(LocalDigestSigner.ephemeral().publicKeyPem()))).toBe(
      false,
    );
  });

  it('sign heads sorted by chain, so the same heads always sign the same bytes', () => {
    expect(payload.heads.map((h) => h.chain)).toEqual(['chain-00', 'chain-01']);
  });
});

describe('S3AnchorStore', () => {
  const client = () => new S3Client({ region: 'eu-west-1' });

  it('writes anchors/YYYY/MM/DD/<iso>.json once, with a SHA-256 checksum and no overwrite', async () => {
    s3.on(PutObjectCommand).resolves({});
    const { anchor } = await signedLocally();
    const { location } = await new S3AnchorStore(client(), { bucket: 'b' }).put(anchor);
    expect(location).toBe('s3://b/anchors/2026/03/01/2026-03-01T10:05:00.000Z.json');
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: 'b', ChecksumAlgorithm: 'SHA256', IfNoneMatch: '*' });
    expect(input).not.toHaveProperty('ObjectLockMode');
    expect(JSON.parse(input?.Body as string)).toEqual(anchor);
  });

  it('sets COMPLIANCE retention on the object when configured', async () => {
    s3.on(PutObjectCommand).resolves({});
    const { anchor } = await signedLocally();
    await new S3AnchorStore(client(), { bucket: 'b', retentionDays: 365 }).put(anchor);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date('2027-03-01T10:05:00.000Z'),
    });
  });

  it("finds the newest anchor in today's folder, and lists every anchor oldest first", async () => {
    const { anchor } = await signedLocally();
    const body = (text: string) => ({ Body: { transformToString: async () => text } }) as never;
    s3.on(ListObjectsV2Command, { Prefix: 'anchors/2026/03/01/' }).resolves({
      Contents: [{ Key: 'anchors/2026/03/01/b.json' }, { Key: 'anchors/2026/03/01/a.json' }],
    });
    s3.on(ListObjectsV2Command, { Prefix: 'anchors/' }).resolves({
      Contents: [{ Key: 'anchors/2026/03/01/b.json' }, { Key: 'anchors/2026/02/01/x.json' }],
    });
    s3.on(GetObjectCommand, { Key: 'anchors/2026/03/01/b.json' }).resolves(body(JSON.stringify(anchor)));
    s3.on(GetObjectCommand, { Key: 'anchors/2026/02/01/x.json' }).resolves(body('not json'));
    const store = new S3AnchorStore(client(), { bucket: 'b', now: () => new Date('2026-03-01T12:00:00Z') });
    expect(await store.latest()).toEqual(anchor);
    const listed = [];
    for await (const stored of store.list()) listed.push(stored);
    expect(listed).toEqual([
      { location: 's3://b/anchors/2026/02/01/x.json', anchor: undefined },
      { location: 's3://b/anchors/2026/03/01/b.json', anchor },
    ]);
  });
});
