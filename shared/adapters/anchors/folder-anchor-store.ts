import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  anchorObjectKey,
  parseSignedAnchor,
  type AnchorStore,
  type SignedAnchor,
  type StoredAnchor,
} from '../../domain/anchors.js';

/**
 * Anchors in a local folder, laid out like the S3 bucket (`anchors/YYYY/MM/DD/<iso>.json`
 * under `root`). For the local runner and tests; nothing stops a local user from editing the
 * files, so only the signature makes them evidence. Never overwrites a file.
 */
export class FolderAnchorStore implements AnchorStore {
  constructor(private readonly root: string) {}

  async put(anchor: SignedAnchor): Promise<{ location: string }> {
    const path = join(this.root, ...anchorObjectKey(anchor.payload.createdAt).split('/'));
    await mkdir(dirname(path), { recursive: true });
    // `wx`: an anchor is written once; a second one at the same instant fails instead of replacing it.
    await writeFile(path, `${JSON.stringify(anchor, null, 2)}\n`, { flag: 'wx' });
    return { location: path };
  }

  async latest(): Promise<SignedAnchor | undefined> {
    let newest: SignedAnchor | undefined;
    for await (const stored of this.list()) newest = stored.anchor ?? newest;
    return newest;
  }

  async *list(): AsyncIterable<StoredAnchor> {
    for (const path of await this.files()) {
      yield { location: path, anchor: parseSignedAnchor(await readFile(path, 'utf8')) };
    }
  }

  /** Every `.json` file under the root, in key order (which is time order). */
  private async files(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root, { recursive: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((e) => e.endsWith('.json'))
      .map((e) => join(this.root, e))
      .sort((a, b) => {
        const [x, y] = [
          relative(this.root, a).split(sep).join('/'),
          relative(this.root, b).split(sep).join('/'),
        ];
        return x < y ? -1 : x > y ? 1 : 0;
      });
  }
}
