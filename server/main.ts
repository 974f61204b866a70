#!/usr/bin/env node
import cluster from 'node:cluster';
import { readServerConfig } from './config.js';
import { describeError, exitWorker } from './messages.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

function fail(err: unknown): never {
  console.error(`web-counter: ${describeError(err)}`);
  process.exit(1);
}

try {
  const config = readServerConfig();
  if (cluster.isPrimary) await runPrimary(config);
  else await runWorker(config);
} catch (err) {
  if (cluster.isWorker) exitWorker(describeError(err));
  else fail(err);
}
