import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FolderAnchorStore } from '../../shared/adapters/anchors/folder-anchor-store.js';
import {
  LOCAL_PUBLIC_KEY_FILE,
  LocalDigestSigner,
} from '../../shared/adapters/anchors/local-digest-signer.js';
import type { AnchorAuditDeps } from '../../shared/usecases/anchor-audit.js';
import type { DigestAuditDeps } from '../../shared/usecases/digest-audit.js';
import { createAnchorHandler, type AnchorInvocation } from '../audit-anchor/handler.js';

export interface LocalAnchoring {
  /** The folder holding the anchors (`anchors/YYYY/MM/DD/…`) and the local key pair. */
  readonly dir: string;
  /** The public key to verify them with: `jit-audit verify --anchored --public-key <this>`. */
  readonly publicKeyFile: string;
  /** One run of the anchor function: the heads anchored, then the closed days digested (when wired). */
  anchorNow(): Promise<AnchorInvocation>;
}

/**
 * The local stand-in of the anchor function: the same use case and handler, with a P-256 key
 * kept in `<LOCAL_DATA_DIR>/anchors` (made on first start) and anchors written beside it; in
 * memory mode, a temporary folder that lives as long as the machine keeps it. With `digest`,
 * each run then digests the audit days closed since the last one, as the function does.
 */
export function createLocalAnchoring(
  dataDir: string,
  deps: Omit<AnchorAuditDeps, 'signer' | 'store'>,
  digest?: DigestAuditDeps,
): LocalAnchoring {
  const dir =
    dataDir === 'memory' ? mkdtempSync(join(tmpdir(), 'jit-anchors-')) : resolve(dataDir, 'anchors');
  const run = createAnchorHandler(
    { ...deps, signer: LocalDigestSigner.inFolder(dir), store: new FolderAnchorStore(dir) },
    digest,
  );
  return { dir, publicKeyFile: join(dir, LOCAL_PUBLIC_KEY_FILE), anchorNow: () => run({}) };
}
