/**
 * The embedded database's directory lock. PGlite is single-process per data directory and does not lock it
 * itself, so two Strata processes on one `$STRATA_HOME` would silently lose writes; a lockfile holding the
 * owner's pid makes the second one fail clearly, and a lock whose pid is gone (a killed process) is taken over.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { StrataError } from '../core/errors.ts';

/** A held directory lock; `release` removes the lockfile. */
export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

/** Lockfiles this process holds, so a lockfile naming our own pid is told apart from one a former process left. */
const heldByThisProcess = new Set<string>();

/** True when a process with this pid exists (signal 0 checks without sending anything). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lockfile only if absent (O_EXCL); returns false when it already exists. */
function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Reads the pid in a lockfile; null when it vanished, NaN when unreadable (a torn write: treated as stale). */
function readOwner(path: string): number | null {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Takes the lock at `lockPath` for `dataDir` and returns it; throws `LockHeld` naming the holder's pid and the
 * directory when a live process holds it. A lock left by a dead process is taken over.
 */
export function acquireDirectoryLock(lockPath: string, dataDir: string): DirectoryLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath)) {
      heldByThisProcess.add(lockPath);
      return {
        path: lockPath,
        release: () => {
          if (!heldByThisProcess.delete(lockPath)) return;
          if (readOwner(lockPath) === process.pid) rmSync(lockPath, { force: true });
        },
      };
    }
    const owner = readOwner(lockPath);
    if (owner === null) continue;
    const ours = owner === process.pid && heldByThisProcess.has(lockPath);
    if (ours || (Number.isFinite(owner) && owner !== process.pid && pidAlive(owner))) {
      throw new StrataError(
        'LockHeld',
        `The data directory ${dataDir} is in use by process ${owner}${ours ? ' (this process)' : ''}; ` +
          'stop it, or point STRATA_HOME elsewhere, or use DATABASE_URL to share a PostgreSQL server.',
        { pid: owner, dataDir, lockfile: lockPath },
      );
    }
    // Stale: move it aside atomically, then retry the exclusive create. If another taker replaced the stale
    // lock with its own between our read and our rename, we moved a live lock: link it back (link fails
    // rather than overwrite) so the next round sees that live holder.
    const aside = `${lockPath}.stale-${process.pid}`;
    try {
      renameSync(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = readOwner(aside);
    if (moved !== owner && !(Number.isNaN(moved) && Number.isNaN(owner))) {
      try {
        linkSync(aside, lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    rmSync(aside, { force: true });
  }
  throw new StrataError(
    'LockHeld',
    `Could not take the lock on data directory ${dataDir}: it keeps changing hands.`,
    {
      dataDir,
      lockfile: lockPath,
    },
  );
}
