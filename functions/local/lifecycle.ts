import { readFileSync } from 'node:fs';

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

interface ProcStat {
  readonly ppid: number;
  readonly pgrp: number;
  readonly startTime: string;
}

/** Fields of /proc/<pid>/stat, or undefined when the process is gone (or this is not Linux). */
function statOf(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may hold spaces: count fields after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * The processes that launched this one within its process group: under `npm start` that is
 * npm, its shell and tsx (a service manager or a terminal gives the command its own group).
 * Empty where /proc is missing.
 */
export function launchAncestors(pid: number = process.pid): ProcessIdentity[] {
  const own = statOf(pid);
  if (!own) return [];
  const ancestors: ProcessIdentity[] = [];
  let parent = own.ppid;
  while (parent > 1) {
    const stat = statOf(parent);
    if (!stat || stat.pgrp !== own.pgrp) break;
    ancestors.push({ pid: parent, startTime: stat.startTime });
    parent = stat.ppid;
  }
  return ancestors;
}

/** Whether the process is still the one that was recorded (not gone, pid not reused). */
export function isRunning(identity: ProcessIdentity): boolean {
  return statOf(identity.pid)?.startTime === identity.startTime;
}

/**
 * Calls `onGone` once when a launching process dies. Why: `kill <pid>` from a service manager
 * reaches npm, which dies without passing the signal on through its shell to tsx and the
 * broker, so the broker would keep serving (and holding its port and data dir) as an orphan.
 * Returns a function that stops watching.
 */
export function whenLauncherDies(
  onGone: (gone: ProcessIdentity) => void,
  options: { readonly ancestors?: readonly ProcessIdentity[]; readonly intervalMs?: number } = {},
): () => void {
  const ancestors = options.ancestors ?? launchAncestors();
  const parentAtStart = process.ppid;
  const timer = setInterval(() => {
    const gone =
      ancestors.find((a) => !isRunning(a)) ??
      // Without /proc: at least notice being handed to another parent.
      (ancestors.length === 0 && process.ppid !== parentAtStart
        ? { pid: parentAtStart, startTime: '' }
        : undefined);
    if (!gone) return;
    clearInterval(timer);
    onGone(gone);
  }, options.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
