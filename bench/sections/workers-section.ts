/**
 * Every store of our server at WORKERS=1, 2 and 4, loaded by the tester at 10 and 100
 * connections: whether a store gains or loses with more workers, each row next to the same
 * store at WORKERS=1 in the same round; and the durable store against shared memory.
 */
import fs from 'node:fs';
import type { LaunchedServer } from '../../tester/harness/server-launcher.js';
import { type RatioSpec, rowId } from '../measurement.js';
import { type ServerSpec, STORE_LABELS, storeSpec, storeSubject, startServer } from '../servers.js';
import { runTester } from '../tools/tester-cli.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Stores × WORKERS: tester, POST /inc';
export const WORKER_COUNTS = [1, 2, 4];
export const WORKERS_CONNECTIONS = [10, 100];
const PG = 'PostgreSQL, coalescing';
const HZ = 'Hazelcast CP IAtomicLong, coalescing';
const SHM = 'shm flock';

const testerRow = (label: string, workers: number, connections: number) =>
  rowId(storeSubject(label, workers), 'tester', connections);

export function workersSection(ctx: BenchContext, storageDir: string): Section {
  const { recorder } = ctx;
  const specs: ServerSpec[] = STORE_LABELS.flatMap(([label, store]) =>
    WORKER_COUNTS.map((workers) =>
      storeSpec(ctx.root, storageDir, store, {
        label: storeSubject(label, workers),
        workers,
        connections: WORKERS_CONNECTIONS,
        tools: ['tester'],
      }),
    ),
  );
  const baseOf = (spec: ServerSpec) => spec.label.replace(/WORKERS=\d+$/, 'WORKERS=1');
  for (const spec of specs)
    for (const c of spec.connections)
      recorder.row(TITLE, spec.label, 'tester', c, { subject: baseOf(spec), tool: 'tester' });
  const skipSpec = (spec: ServerSpec, why: string) =>
    spec.connections.forEach((c) => recorder.skip(rowId(spec.label, 'tester', c), why));

  const measure = async (spec: ServerSpec, round: number) => {
    const why = spec.needs && missing(ctx.services[spec.needs]);
    if (why) return skipSpec(spec, why);
    if (spec.env.STORAGE_PATH) fs.rmSync(spec.env.STORAGE_PATH, { force: true });
    let server: LaunchedServer;
    try {
      server = await startServer(spec);
    } catch (err) {
      return skipSpec(spec, `did not start: ${(err as Error).message}`);
    }
    try {
      const target = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
      for (const c of spec.connections)
        await recorder.measure(rowId(spec.label, 'tester', c), round, () =>
          runTester(ctx.root, target, c, ctx.durationS),
        );
    } finally {
      await server.stop();
    }
  };

  return {
    title: TITLE,
    refHeader: '× same store, WORKERS=1',
    ratios: workersRatios(),
    notes: [
      `The WORKERS table: our server in each store at WORKERS=${WORKER_COUNTS.join(', ')}, a fresh server per ` +
        `row and round, loaded by \`tester web --json\` (closed loop, the whole history checked) at ` +
        `${WORKERS_CONNECTIONS.join(' and ')} connections after the tester's own warm-up; the WORKERS order is ` +
        'reversed every other round, so no setting always meets a database the other just left hot.',
    ],
    async run(round) {
      // Within a store, alternate 1-2-4 and 4-2-1: a slow drift of the shared host favours no WORKERS.
      const ordered = round % 2 === 1 ? specs : [...specs].reverse();
      for (const spec of ordered) await measure(spec, round);
    },
  };
}

function workersRatios(): RatioSpec[] {
  const ratios: RatioSpec[] = [];
  for (const label of [PG, HZ])
    for (const c of WORKERS_CONNECTIONS)
      ratios.push({
        name: `${label}: WORKERS=4 / WORKERS=1, ${c} connections, tester`,
        top: testerRow(label, 4, c),
        bottom: testerRow(label, 1, c),
        target: 0.9,
      });
  for (const workers of [1, 2])
    ratios.push({
      name: `${PG} / ${SHM}, both WORKERS=${workers}, 100 connections, tester`,
      top: testerRow(PG, workers, 100),
      bottom: testerRow(SHM, workers, 100),
      ...(workers === 1 ? { target: 0.6 } : {}),
    });
  return ratios;
}
