import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FolderArchiveStore } from '../../shared/adapters/archive/folder-archive-store.js';
import type { AuditReader } from '../../shared/domain/audit-query.js';
import type { Clock } from '../../shared/domain/ports.js';
import { replayArchive } from '../../shared/usecases/archive-audit.js';

const DAY_MS = 86_400_000;

export interface LocalArchive {
  /** The folder holding `events/dt=YYYY-MM-DD/…jsonl`: `jit-audit verify --archive <this>`. */
  readonly dir: string;
  /** Archives the events of yesterday and today (the same keys every time: nothing duplicates). */
  archiveNow(): Promise<{ replayed: number }>;
}

/**
 * The local stand-in of the archive function: DynamoDB Local's stream is not wired locally,
 * so the sweep timer re-exports the last two days through the same use case and keys as
 * `jit-audit archive replay`, into `<LOCAL_DATA_DIR>/archive` (a temporary folder in memory mode).
 */
export function createLocalArchive(dataDir: string, reader: AuditReader, clock: Clock): LocalArchive {
  const dir =
    dataDir === 'memory' ? mkdtempSync(join(tmpdir(), 'jit-archive-')) : resolve(dataDir, 'archive');
  const store = new FolderArchiveStore(dir);
  return {
    dir,
    archiveNow: () => {
      const from = new Date(clock.now().getTime() - DAY_MS).toISOString().slice(0, 10);
      return replayArchive({ reader, clock, store }, { from });
    },
  };
}
