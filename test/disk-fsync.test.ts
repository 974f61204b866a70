/**
 * README (server variables): `DISK_FSYNC`: "disk: fdatasync after every increment, so an
 * acknowledged count survives power loss". strace, attached to the running worker, records its
 * system calls while 20 increments are sent one after another: with DISK_FSYNC=true each writes
 * the new value, syncs the file, and only then answers; with false, nothing is synced. (The
 * file's creation is checked in native-addon.test.ts.) strace comes from scripts/test-tools.sh.
 * Ports 19670-19679.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '../tester/harness/wait-until.js';
import { postInc } from './helpers/held-requests.js';
import { workerPids } from './helpers/processes.js';
import { startServer } from './helpers/server-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-disk-fsync-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nextPort = 19670;
const INCREMENTS = 20;

/** Attaches strace to `pid` (all threads); stop() detaches and resolves with the calls it saw. */
async function traceSyscalls(pid: number, file: string): Promise<{ stop(): Promise<string[]> }> {
  const args = ['-f', '-s', '256', '-e', 'trace=pwrite64,fdatasync,fsync,sendto', '-o', file, '-p', String(pid)];
  const strace = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  strace.stderr.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
  const closed = new Promise<number | null>((resolve) => strace.once('close', resolve));
  const attached = await waitUntil(() => said.includes(`Process ${pid} attached`), 20_000);
  if (!attached) {
    strace.kill('SIGKILL');
    throw new Error(`strace did not attach to ${pid}: ${said}`);
  }
  return {
    async stop() {
      strace.kill('SIGINT');
      await closed;
      return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    },
  };
}

/** The worker's calls as tokens: "write N" (the value written), "sync" (of that file), "answer N". */
function tokens(lines: string[]): string[] {
  let counterFd: string | undefined;
  const out: string[] = [];
  for (const line of lines) {
    const write = /pwrite64\((\d+), "(\d+)\\n", \d+, 0\)\s+= \d+/.exec(line);
    const sync = /f(?:data)?sync\((\d+)\)\s+= 0/.exec(line);
    const answer = /sendto\(\d+, "HTTP\/1\.1 200 OK.*\{\\"count\\":(\d+)\}"/.exec(line);
    if (write) {
      counterFd = write[1];
      out.push(`write ${write[2]}`);
    } else if (sync) {
      out.push(sync[1] === counterFd ? 'sync' : `sync of fd ${sync[1]}`);
    } else if (answer) {
      out.push(`answer ${answer[1]}`);
    }
  }
  return out;
}

for (const fsync of [true, false]) {
  test.serial(`DISK_FSYNC=${fsync}: ${fsync ? 'every increment is synced before its answer' : 'no increment is synced'}`, async (t) => {
    const port = nextPort++;
    const server = await startServer({
      STORAGE_METHOD: 'disk',
      STORAGE_PATH: path.join(tmp, `counter-${fsync}.txt`),
      DISK_FSYNC: String(fsync),
      WORKERS: '1',
      PORT: String(port),
    });
    try {
      const [worker] = await workerPids(server.pid);
      const trace = await traceSyscalls(worker, path.join(tmp, `strace-${fsync}.txt`));
      let lines: string[];
      try {
        for (let i = 0; i < INCREMENTS; i++) t.is((await postInc(port)).status, 200);
      } finally {
        lines = await trace.stop();
      }
      const expected = Array.from({ length: INCREMENTS }, (_, i) =>
        fsync ? [`write ${i + 1}`, 'sync', `answer ${i + 1}`] : [`write ${i + 1}`, `answer ${i + 1}`],
      ).flat();
      t.deepEqual(tokens(lines), expected, lines.join('\n'));
    } finally {
      await server.stop();
    }
  });
}
