#!/usr/bin/env node
/**
 * npm run bench:render
 *
 * Renders bench/RESULTS.md (with the soak's plot beside it) and the README's benchmark block from
 * the committed bench/results.json, without measuring: after a change to how results are shown,
 * or to check that the README quotes the committed run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateReadme } from './readme-block.js';
import { type BenchResults, writeRendering } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

try {
  const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
  writeRendering(results, path.join(ROOT, 'bench/RESULTS.md'));
  updateReadme(path.join(ROOT, 'docs/benchmarks.md'), results);
  console.error('bench: rendered bench/RESULTS.md and docs/benchmarks.md from bench/results.json');
} catch (err) {
  console.error(`bench: cannot render: ${(err as Error).message}`);
  process.exit(1);
}
