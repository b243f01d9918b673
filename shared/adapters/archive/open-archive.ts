import type { ArchiveStore } from '../../domain/archive.js';
import { createArchiveClients } from '../aws/archive-clients.js';
import { S3ArchiveStore } from '../aws/s3-archive-store.js';
import { FolderArchiveStore } from './folder-archive-store.js';

/**
 * The archive at `location`: `s3://bucket` (with the SDK's own credentials and endpoint
 * settings) or a local folder (the local runner's, or a downloaded copy).
 */
export function openArchiveStore(location: string): ArchiveStore {
  const s3 = /^s3:\/\/([^/]+)\/?$/.exec(location);
  if (!s3) return new FolderArchiveStore(location);
  return new S3ArchiveStore(createArchiveClients().s3, s3[1] as string);
}
