import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { readServerConfig, SERVER_ENV_VARS } from '../server/config.js';
import { STORES, storeEnv, type StoreName } from '../tester/harness/store-catalogue.js';
import { ROOT } from './helpers/server-process.js';

interface Compose {
  services: Record<string, { environment?: string[] | Record<string, string>; image?: string; build?: unknown }>;
}

function readCompose(name: string): Compose {
  return parse(fs.readFileSync(path.join(ROOT, 'docker', name), 'utf8'), { merge: true }) as Compose;
}

function envNames(environment: string[] | Record<string, string> | undefined): string[] {
  if (!environment) return [];
  return Array.isArray(environment) ? environment.map((entry) => entry.split('=')[0]) : Object.keys(environment);
}

test('every variable the web counter compose file sets is one the server reads', (t) => {
  const compose = readCompose('web-counter-compose.yml');
  const services = Object.entries(compose.services);
  t.is(services.length, 3, 'the reference three variants: shared memory, disk, PostgreSQL');
  for (const [name, service] of services) {
    const names = envNames(service.environment);
    t.true(names.length > 0, name);
    for (const env of names)
      t.true(
        (SERVER_ENV_VARS as readonly string[]).includes(env),
        `${name} sets ${env}, which the server does not read`,
      );
  }
});

function envRecord(environment: string[] | Record<string, string> | undefined): Record<string, string> {
  if (!Array.isArray(environment)) return { ...environment };
  return Object.fromEntries(environment.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
}

/** What makes one store differ from another, defaults applied: the server's own reading of the env. */
function storeIdentity(env: Record<string, string>): string {
  const config = readServerConfig(env);
  const { storage, shmIncrement, diskFsync, coalesce } = config;
  return JSON.stringify({ storage, shmIncrement, diskFsync, coalesce });
}

const CATALOGUE_IDENTITIES = new Map(
  (Object.keys(STORES) as StoreName[]).map((name) => [storeIdentity(storeEnv(name, '/tmp/counter.txt')), name]),
);

test('every store the web counter compose file runs is one of the store catalogue', (t) => {
  for (const [service, { environment }] of Object.entries(readCompose('web-counter-compose.yml').services)) {
    const identity = storeIdentity(envRecord(environment));
    t.true(CATALOGUE_IDENTITIES.has(identity), `${service} runs ${identity}: not in tester/harness/store-catalogue.ts`);
  }
});

test('every service a catalogue store needs has its compose file', (t) => {
  for (const [name, store] of Object.entries(STORES)) {
    if (!store.needs) continue;
    const services = Object.keys(readCompose(`${store.needs}-compose.yml`).services);
    t.true(services.length > 0, `${name} needs ${store.needs}: docker/${store.needs}-compose.yml runs none`);
  }
});

test('the PostgreSQL compose file provides the database and credentials the server expects by default', (t) => {
  const compose = readCompose('postgresql-compose.yml');
  const [service] = Object.values(compose.services);
  t.regex(service.image ?? '', /^postgres:15/);
  t.deepEqual(envNames(service.environment).sort(), ['POSTGRES_DB', 'POSTGRES_PASSWORD', 'POSTGRES_USER']);
  t.true((service.environment as string[]).includes('POSTGRES_DB=counter_db'));
});

/** Each image's Dockerfile and the TypeScript project it builds with. */
const IMAGES = [
  { dockerfile: 'docker/Dockerfile', tsconfig: 'tsconfig.build.json', main: 'server/main.ts' },
  { dockerfile: 'docker/tester.Dockerfile', tsconfig: 'tsconfig.tester.json', main: 'tester/main.ts' },
];

for (const { dockerfile: file, tsconfig, main } of IMAGES) {
  test(`${file} builds in one stage and runs as a non-root user in another`, (t) => {
    const dockerfile = fs.readFileSync(path.join(ROOT, file), 'utf8');
    t.is(dockerfile.match(/^FROM /gm)?.length, 2);
    t.regex(dockerfile, /^USER node$/m);
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      for (const source of copied[1].split(' ')) t.true(fs.existsSync(path.join(ROOT, source)), `${source} exists`);
    }
  });

  test(`${file} copies the folders its build (${tsconfig}) compiles, and no others`, (t) => {
    const dockerfile = fs.readFileSync(path.join(ROOT, file), 'utf8');
    t.regex(dockerfile, new RegExp(`npx tsc -p ${tsconfig.replaceAll('.', '\\.')}`));
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1].split(' '));
    const copiedFolders = copies.filter((source) => fs.statSync(path.join(ROOT, source)).isDirectory());
    const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
    const listed = execFileSync(tsc, ['-p', tsconfig, '--listFilesOnly'], { cwd: ROOT }).toString();
    const sources = listed.split('\n').filter((line) => line.startsWith(ROOT) && !line.includes('/node_modules/'));
    t.true(sources.some((line) => line.endsWith(main)), listed);
    const compiledFolders = new Set(sources.map((line) => path.relative(ROOT, line).split(path.sep)[0]));
    t.deepEqual(copiedFolders.sort(), [...compiledFolders].sort(), `${file} COPYs what its build compiles`);
  });
}
