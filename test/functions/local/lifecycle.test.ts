import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, LOCK_FILE_NAME } from '../../../shared/adapters/dynamodb/local-server.js';

/**
 * `npm start` as a service manager runs it: its own process group, stopped with `kill <pid>`
 * of npm. Slow (each start runs tsx and a Java DynamoDB Local), so one test walks the whole
 * life: stop, crash, restart on the same data dir.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'jit-lifecycle-'));
const started: ChildProcess[] = [];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The DynamoDB Local processes serving `dir` (from /proc). */
function javaOn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((a) => a.includes('DynamoDBLocal')) && argv.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startBroker(port: number) {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      LOCAL_DATA_DIR: dataDir,
      LOCAL_QUIET: 'true',
      SWEEP_INTERVAL_SECONDS: '3600',
    },
  });
  started.push(npm);
  let output = '';
  npm.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  npm.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
    } catch {
      return false;
    }
  };
  await waitFor('the broker to answer /health', async () => {
    if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    return healthy();
  });
  const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as {
    ownerPid: number;
    javaPid: number;
  };
  return { npm, lock, output: () => output };
}

/** Whether any process of the group npm leads is left (npm, its shell, tsx, the broker, Java). */
const groupAlive = (npm: ChildProcess) => isAlive(-(npm.pid as number));

afterAll(() => {
  for (const npm of started) {
    try {
      process.kill(-(npm.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of javaOn(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start under a process manager', () => {
  it('stops everything on SIGTERM to npm, lets no DynamoDB Local outlive a killed broker, and restarts on the same data dir with one Java', async () => {
    const port = await freePort();

    // 1. `kill <npm pid>`: npm, tsx, the broker and DynamoDB Local all go; the lock goes too.
    const first = await startBroker(port);
    expect(javaOn(dataDir)).toEqual([first.lock.javaPid]);
    const stopAt = Date.now();
    process.kill(first.npm.pid as number, 'SIGTERM');
    await waitFor(
      'every process to stop',
      () => !groupAlive(first.npm) && !isAlive(first.lock.javaPid),
      20_000,
    );
    console.log(`stopped everything ${Date.now() - stopAt} ms after SIGTERM to npm`);
    expect(() => readFileSync(join(dataDir, LOCK_FILE_NAME))).toThrow();

    // 2. `kill -9` of the broker itself: its DynamoDB Local does not stay behind serving.
    const second = await startBroker(port);
    process.kill(second.lock.ownerPid, 'SIGKILL');
    await waitFor('the orphaned DynamoDB Local to stop', () => !isAlive(second.lock.javaPid), 20_000);

    // 3. A restart on the same data dir: one Java, serving, healthy.
    const third = await startBroker(port);
    expect(javaOn(dataDir)).toEqual([third.lock.javaPid]);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { dynamodb: string };
    expect(health.dynamodb).toBe('ok');
    process.kill(third.npm.pid as number, 'SIGTERM');
    await waitFor(
      'every process to stop',
      () => !groupAlive(third.npm) && !isAlive(third.lock.javaPid),
      20_000,
    );
  }, 600_000);
});
