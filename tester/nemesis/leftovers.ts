/**
 * What a tester does that outlives it when it dies: store processes it paused or killed, the
 * server it started, the network namespace it made. Each is written to the tester's state
 * file before it is done and struck out once undone, so the next tester (or `tester heal`) can
 * undo what a killed tester left (tester/nemesis/heal.ts).
 *
 * The files live in a directory of the user's own (mode 0700), one per tester, named by its
 * pid and start time: `<pid>-<start ticks>.json`. A tester that heals another's leftovers first
 * renames that file to one of its own names (`<pid>-<start ticks>-<n>.json`), atomically, so two
 * testers never undo the same thing twice, and what it could not undo is still found once it
 * has died in turn. Only files of testers that no longer run are touched: two testers at once
 * never heal each other's faults.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRunning, processId, type ProcessId, type ProcessImage } from './processes.js';

export type Leftover =
  /** Processes sent SIGSTOP: resumed by SIGCONT. */
  | { kind: 'paused'; what: string; port: number; processes: ProcessId[] }
  /** A store process killed: started again with its command line, user and environment. */
  | { kind: 'killed'; what: string; port: number; process: ProcessId; image: ProcessImage }
  /** The web server the tester started (`--server`): stopped. */
  | { kind: 'server'; process: ProcessId }
  /** A network namespace for the server, and the outside ends of its veth pairs: removed. */
  | { kind: 'namespace'; name: string; links: string[] };

/** What a state file holds: the pid of the tester that did it all, and what is still to undo, oldest first. */
export interface StateFile {
  tester: number;
  leftovers: Leftover[];
}

/** The state directory is not a private directory of this user's: nothing is recorded or healed. */
export class StateDirError extends Error {}

const uid = process.getuid!();
const STATE_DIR = path.join(os.tmpdir(), `counters-tester-${uid}`);
const self = processId(process.pid)!;
const OWN_NAME = `${self.pid}-${self.startTicks}`;
/** `<pid>-<start ticks>.json`, or `<pid>-<start ticks>-<n>.json` for a claimed one: the pid is its owner's. */
const FILE_NAME = /^(\d+)-(\d+)(?:-\d+)?\.json$/;

/** What this tester has in force, by the order it was recorded in. */
const inForce = new Map<number, Leftover>();
let recorded = 0;
let claimed = 0;

/** This user's state directory (created when missing); throws a StateDirError when it is not private. */
function stateDir(): string {
  fs.mkdirSync(STATE_DIR, { mode: 0o700, recursive: true });
  // Another user could have made it first, in a shared /tmp, to have root start what it wrote.
  const stat = fs.lstatSync(STATE_DIR);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new StateDirError(`${STATE_DIR} is not a directory of this user's alone (mode 0700): remove it`);
  }
  return STATE_DIR;
}

/** Replaces `file` with `state` all at once (a temp file renamed over it), or removes it when nothing is left. */
export function writeState(file: string, state: StateFile): void {
  if (state.leftovers.length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state) + '\n', { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * Writes `leftover` to this tester's state file, before the caller does what it describes;
 * returns the function that strikes it out once undone.
 */
export function recordLeftover(leftover: Leftover): () => void {
  const file = path.join(stateDir(), `${OWN_NAME}.json`);
  const id = recorded++;
  const save = () => writeState(file, { tester: process.pid, leftovers: [...inForce.values()] });
  inForce.set(id, leftover);
  save();
  return () => {
    if (inForce.delete(id)) save();
  };
}

/** A dead tester's state file, now under a name of this tester's. */
export interface ClaimedState extends StateFile {
  file: string;
}

/**
 * The state files of testers that no longer run, each renamed to a name of this tester's
 * first: a file another tester renamed meanwhile is its to heal. None when the directory
 * does not exist yet.
 */
export function claimDeadTestersState(): ClaimedState[] {
  if (!fs.existsSync(STATE_DIR)) return [];
  const dir = stateDir();
  const states: ClaimedState[] = [];
  for (const name of fs.readdirSync(dir)) {
    const owner = FILE_NAME.exec(name.replace(/\.tmp$/, ''));
    if (!owner || isRunning({ pid: Number(owner[1]), startTicks: Number(owner[2]) })) continue;
    // A temp file was never renamed into place: its tester died while writing it.
    if (name.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, name), { force: true });
      continue;
    }
    const file = path.join(dir, `${OWN_NAME}-${++claimed}.json`);
    try {
      fs.renameSync(path.join(dir, name), file);
    } catch (err) {
      // Another tester claimed it first.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    states.push({ ...(JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile), file });
  }
  return states;
}
