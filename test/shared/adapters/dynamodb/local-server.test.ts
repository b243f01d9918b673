import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LOCK_FILE_NAME,
  startLocalDynamo,
  type LocalDynamo,
} from '../../../../shared/adapters/dynamodb/local-server.js';
import { ConfigError } from '../../../../shared/domain/errors.js';

const dataDir = mkdtempSync(join(tmpdir(), 'jit-dynamo-lock-'));
const running: LocalDynamo[] = [];
afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const lockOf = () =>
  JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as { ownerPid: number; javaPid: number };

describe('DynamoDB Local on a data dir', () => {
  it('locks the dir, refuses a second start while its broker lives, and reaps the Java a dead broker left', async () => {
    const first = await startLocalDynamo({ dataDir });
    running.push(first);
    expect(lockOf()).toMatchObject({ ownerPid: process.pid, javaPid: first.pid });

    await expect(startLocalDynamo({ dataDir })).rejects.toThrow(ConfigError);
    await expect(startLocalDynamo({ dataDir })).rejects.toThrow(
      `${dataDir} is in use by the broker with pid ${process.pid}`,
    );

    // The broker that started it died without a word (kill -9): its pid no longer names it.
    const orphan = first.pid as number;
    writeFileSync(join(dataDir, LOCK_FILE_NAME), JSON.stringify({ ...lockOf(), ownerPid: 2 ** 22 + 1 }));
    const notices: string[] = [];
    const second = await startLocalDynamo({ dataDir, onNotice: (line) => notices.push(line) });
    running.push(second);
    expect(isAlive(orphan)).toBe(false);
    expect(notices).toEqual([
      `dynamo ✗ reaping the DynamoDB Local (pid ${orphan}) a stopped broker left on ${dataDir}`,
    ]);
    expect(lockOf()).toMatchObject({ ownerPid: process.pid, javaPid: second.pid });

    await second.stop();
    expect(() => readFileSync(join(dataDir, LOCK_FILE_NAME))).toThrow();
  }, 120_000);
});
