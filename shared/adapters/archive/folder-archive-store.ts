import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArchiveStore } from '../../domain/archive.js';

/**
 * The archive in a local folder, laid out like the S3 bucket (`events/dt=YYYY-MM-DD/…jsonl`
 * under `root`): the local runner's, or a copy an auditor downloaded. A put writes a
 * temporary file and renames it over the key, so a reader never sees half an object.
 */
export class FolderArchiveStore implements ArchiveStore {
  constructor(readonly root: string) {}

  async put(key: string, body: string): Promise<void> {
    const path = join(this.root, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const dir = join(this.root, ...prefix.split('/').slice(0, -1));
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return;
      throw error;
    }
    const keys = entries
      .map((e) => relative(this.root, join(dir, e)).split(sep).join('/'))
      .filter((k) => k.startsWith(prefix) && k.endsWith('.jsonl'))
      .sort();
    yield* keys;
  }
}
