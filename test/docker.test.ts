import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SERVER_ENV_VARS } from '../server/config.js';
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

test('the PostgreSQL compose file provides the database and credentials the server expects by default', (t) => {
  const compose = readCompose('postgresql-compose.yml');
  const [service] = Object.values(compose.services);
  t.regex(service.image ?? '', /^postgres:15/);
  t.deepEqual(envNames(service.environment).sort(), ['POSTGRES_DB', 'POSTGRES_PASSWORD', 'POSTGRES_USER']);
  t.true((service.environment as string[]).includes('POSTGRES_DB=counter_db'));
});

test('the Dockerfile builds in one stage and runs as a non-root user in another', (t) => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');
  t.is(dockerfile.match(/^FROM /gm)?.length, 2);
  t.regex(dockerfile, /^USER node$/m);
  for (const copied of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
    for (const source of copied[1].split(' ')) t.true(fs.existsSync(path.join(ROOT, source)), `${source} exists`);
  }
});
