/**
 * Typed access to the native addon (native/counters.cc). This is the only module that
 * loads build/Release/counters_native.node; everything else imports from here.
 *
 * The addon is loaded when this module is imported. Code that must keep working without
 * a native build (e.g. a tester run against PostgreSQL only) should import this module
 * lazily with `await import(...)`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How a SharedCounter increments: `flock` takes an exclusive flock on the segment around
 * a read-modify-write; `atomic` uses one lock-free atomic add. All processes sharing a
 * segment must use the same mode: the two do not exclude each other.
 */
export type IncrementMode = 'flock' | 'atomic';

/**
 * The errors the addon throws. Failed system calls have the message
 * `<call> <path-or-name>: <strerror>` and `code` (errno name, e.g. 'EACCES'), `errno`
 * (positive C errno), `syscall` and `path`. Other failures carry only `code` (and `path`):
 * 'EBADCOUNTER' (file content is not a counter value, empty, or not a regular file),
 * 'EPERM' / 'EINVAL' (shm segment or file with the wrong owner, mode or size),
 * 'EOVERFLOW' (a counter would pass 2^53-1, or a segment holds more), 'ERR_COUNTER_CLOSED'
 * (used after close). A FileCounter whose lock another process holds fails with code 'EAGAIN'
 * and syscall 'flock' (see FileCounter). Misused arguments throw a plain TypeError.
 */
export interface NativeCounterError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** A 64-bit counter in a POSIX shared memory segment (one page, /dev/shm/<name>). */
export interface SharedCounter {
  /** Adds one; returns the value after this increment. Throws 'EOVERFLOW' instead of passing 2^53-1. */
  increment(): number;
  /** The current value; throws 'EOVERFLOW' when the segment holds more than 2^53-1. */
  read(): number;
  /** Sets the value to 0. */
  reset(): void;
  /** Unmaps and closes; idempotent. Other methods throw afterwards. The segment stays. */
  close(): void;
}

export interface SharedCounterConstructor {
  /**
   * `create`: make a new segment with mode 0600 and value 0; throws code 'EEXIST' when the
   * name already exists. Otherwise attach to an existing segment, which must be owned by
   * the current user, have mode 0600 and hold at least 8 bytes.
   * `name` is a POSIX shm name such as "/counters-8080".
   */
  new (name: string, create: boolean, mode: IncrementMode): SharedCounter;
  /** shm_unlink; returns false when the segment did not exist. */
  unlink(name: string): boolean;
  readonly prototype: SharedCounter;
}

/**
 * A counter stored in a regular file as decimal text ("42\n"), so a user can `cat` it.
 * Every operation holds a flock on the file, so many processes may share it. A lock that
 * another process holds is waited for about 1 ms, then the call throws 'EAGAIN': the caller
 * decides how long to wait on without blocking its thread.
 */
export interface FileCounter {
  /** Adds one (read, +1, write, truncate, fdatasync if asked); returns the new value. */
  increment(): number;
  /** The current value. */
  read(): number;
  /** Writes "0\n". */
  reset(): void;
  /** Closes the file; idempotent. Other methods throw afterwards. */
  close(): void;
}

export interface FileCounterConstructor {
  /**
   * Opens or creates `path`, never following a symlink. A new file appears already holding
   * "0\n" (written under a temporary name, then linked in place; with `fsync` its data and
   * then its directory are synced). An existing file must be owned by the current user and
   * closed to group and others (else 'EPERM'), and hold a decimal value up to 2^53-1: empty
   * or other content throws 'EBADCOUNTER'. The content is read under the lock, waiting up to
   * 1 s for it ('EAGAIN' after). With `fsync`, every write is followed by fdatasync.
   */
  new (path: string, fsync: boolean): FileCounter;
  readonly prototype: FileCounter;
}

interface NativeModule {
  SharedCounter: SharedCounterConstructor;
  FileCounter: FileCounterConstructor;
}

/** The package root: the nearest directory above this module holding package.json. */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

function loadNative(): NativeModule {
  const file = join(packageRoot(), 'build', 'Release', 'counters_native.node');
  if (!existsSync(file)) {
    throw new Error(`native addon not built: run npm run build:native (missing ${file})`);
  }
  try {
    return createRequire(import.meta.url)(file) as NativeModule;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`cannot load native addon ${file}: ${reason}; run npm run build:native`, {
      cause,
    });
  }
}

const native = loadNative();

export const SharedCounter: SharedCounterConstructor = native.SharedCounter;
export const FileCounter: FileCounterConstructor = native.FileCounter;
