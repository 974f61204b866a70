/**
 * The image's build without Docker: tsconfig.build.json compiled on its own, laid out as
 * docker/Dockerfile's last stage lays out /app, runs a server that counts.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../tester/harness/free-port.js';
import { launchServer } from '../tester/harness/server-launcher.js';
import { storeEnv } from '../tester/harness/store-catalogue.js';
import { ROOT } from './helpers/server-process.js';

test('tsconfig.build.json compiles the server alone, and that build serves increments', async (t) => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-image-'));
  t.teardown(() => fs.rmSync(app, { recursive: true, force: true }));
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], { cwd: ROOT });
  t.deepEqual(fs.readdirSync(path.join(app, 'dist')).sort(), ['backends', 'native', 'server']);

  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(app, 'build/Release'), { recursive: true });
  const addon = 'build/Release/counters_native.node';
  fs.copyFileSync(path.join(ROOT, addon), path.join(app, addon));

  const host = '127.0.0.1';
  const script = path.join(app, 'dist/server/main.js');
  const server = await launchServer({ host, port: await freePort(), env: storeEnv('shared_memory_atomic'), script });
  try {
    const counts = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`http://${host}:${server.port}/inc`, { method: 'POST' });
      counts.push(((await response.json()) as { count: number }).count);
    }
    t.deepEqual(counts, [1, 2, 3]);
  } finally {
    t.is(await server.stop(), 0);
  }
});
