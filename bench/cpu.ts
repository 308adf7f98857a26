/**
 * CPU time of processes from /proc/<pid>/stat (utime + stime, and for a parent that reaps its
 * children — the postmaster — cutime + cstime, so backends that exited are still counted).
 * Linux only; elsewhere every figure is NaN.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the kernel reports CPU times in 1/100 s on every Linux the bench runs on. */
const TICK_MS = 10;

interface Stat {
  ppid: number;
  own: number;
  children: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces and parentheses: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid 4, utime 14, stime 15, cutime 16, cstime 17.
    return {
      ppid: Number(f[1]),
      own: (Number(f[11]) + Number(f[12])) * TICK_MS,
      children: (Number(f[13]) + Number(f[14])) * TICK_MS,
    };
  } catch {
    return null;
  }
}

/** CPU ms of one process (its own, not its children's). */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  return stat(pid)?.own ?? Number.NaN;
}

/** CPU ms of several processes; one that is gone counts nothing. */
export function cpuOf(pids: readonly number[]): number {
  return pids.reduce((a, p) => a + (stat(p)?.own ?? 0), 0);
}

/**
 * CPU ms of a process tree rooted at a parent that waits for its children (the postmaster):
 * its own, its reaped children's, and each live child's.
 */
export function treeCpuMs(root: number): number {
  const r = stat(root);
  if (!r) return Number.NaN;
  let live = 0;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === root) continue;
    const s = stat(pid);
    if (s?.ppid === root) live += s.own;
  }
  return r.own + r.children + live;
}

/** The parent of `pid` (a backend's postmaster). */
export function parentOf(pid: number): number | undefined {
  return stat(pid)?.ppid;
}
