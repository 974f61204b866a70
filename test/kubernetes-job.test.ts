/**
 * docker/tester-segments-job.yaml, the tester's segments as a Kubernetes Indexed Job, is a valid
 * batch/v1 Job by Kubernetes' own schema (kubernetes-models, which scripts/test-tools.sh
 * installs into .services/k8s-schema), and its command is one the tester accepts: pod k runs
 * segment k+1 of as many as the Job completes.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { ROOT } from './helpers/server-process.js';

interface JobManifest {
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    template: { spec: { containers: Array<{ command: string[]; args: string[] }> } };
  };
}

const MANIFEST = path.join(ROOT, 'docker', 'tester-segments-job.yaml');
const JOB_MODEL = path.join(ROOT, '.services/k8s-schema/node_modules/kubernetes-models/batch/v1/Job.js');

const manifest = parse(fs.readFileSync(MANIFEST, 'utf8')) as JobManifest;

/** Kubernetes' schema of a batch/v1 Job: validate() throws naming every field that breaks it. */
async function jobModel(): Promise<new (object: unknown) => { validate(): void }> {
  if (!fs.existsSync(JOB_MODEL)) throw new Error(`${JOB_MODEL} is missing: run bash scripts/test-tools.sh`);
  return ((await import(pathToFileURL(JOB_MODEL).href)) as { Job: new (object: unknown) => { validate(): void } }).Job;
}

test('the manifest is a valid batch/v1 Job, and the schema does catch a broken one', async (t) => {
  const Job = await jobModel();
  t.notThrows(() => new Job(manifest).validate());
  const broken = structuredClone(manifest) as unknown as { spec: Record<string, unknown> };
  broken.spec.completions = 'three';
  t.throws(() => new Job(broken).validate(), { message: /completions must be integer/ });
});

test('an Indexed Job whose pods each run one segment, all of them together', (t) => {
  const { spec } = manifest;
  t.is(spec.completionMode, 'Indexed');
  t.is(spec.parallelism, spec.completions, 'every segment runs at once');
  const [container] = spec.template.spec.containers;
  t.deepEqual(container.command, ['sh', '-c']);
  t.regex(container.args[0], new RegExp(`--segment "\\$segment/${spec.completions}"`));
});

test('the pods\' command is one the tester accepts: pod k runs segment k+1, its files named so', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-job-'));
  try {
    const [container] = manifest.spec.template.spec.containers;
    const startAt = new Date(Date.now() + 3600_000).toISOString();
    const nodeFirstPath = `${path.dirname(process.execPath)}:${process.env.PATH}`;
    // Its server's name resolves only in the cluster: the tester gets as far as connecting (exit 3).
    const run = spawnSync('sh', ['-c', container.args[0]], {
      cwd: ROOT,
      // `node` on the PATH, as in the image: this Node.
      env: { ...process.env, JOB_COMPLETION_INDEX: '2', START_AT: startAt, RESULTS_DIR: dir, PATH: nodeFirstPath },
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.is(run.status, 3, run.stderr);
    t.regex(run.stderr, /^tester: .*counters-web/);
    t.true(fs.existsSync(path.join(dir, 'segment-3.json')), 'the segment checked its --output can be written');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
