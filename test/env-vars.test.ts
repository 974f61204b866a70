import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { defaultText, ENV_VARS, type EnvVar } from '../backends/env-vars.js';
import { allDocs } from './helpers/docs.js';
import { ROOT } from './helpers/server-process.js';

// backends/env-vars.ts declares each variable once; everything that restates a default must agree with it.

// README and the docs it links to (docs/server.md holds the environment table).
const README = allDocs();
const BY_NAME = new Map<string, EnvVar>(ENV_VARS.map((variable) => [variable.name, variable]));

function declared(name: string): EnvVar | undefined {
  return BY_NAME.get(name);
}

/** README's word on a variable that backends/env-vars.ts does not declare is a stale or misspelt name. */
function mustBeDeclared(t: ExecutionContext, name: string, where: string): EnvVar | undefined {
  const variable = declared(name);
  if (!variable) t.fail(`README's ${where} names ${name}, which backends/env-vars.ts does not declare`);
  return variable;
}

test('README names every declared variable', (t) => {
  for (const variable of ENV_VARS) t.true(README.includes(`\`${variable.name}\``), `README lacks ${variable.name}`);
});

test("README's environment table gives each variable its declared default", (t) => {
  let rows = 0;
  for (const [, name, cell] of README.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \|/gm)) {
    const variable = mustBeDeclared(t, name, 'environment table');
    if (!variable) continue;
    rows++;
    const expected = defaultText(variable) === '' ? '(empty)' : `\`${defaultText(variable)}\``;
    t.true(cell.trim().startsWith(expected), `README says ${name} defaults to ${cell.trim()}, declared ${expected}`);
  }
  t.true(rows >= 15, `only ${rows} table rows checked`);
});

test("README's prose defaults, `NAME` (`value`) and `NAME` (default value), match the declarations", (t) => {
  let checked = 0;
  // A name starts with a letter: `405` (`CONNECT`) is a status code.
  const spellings = [/`([A-Z][A-Z0-9_]*)`\s+\(`([^`]*)`[):,]/g, /`([A-Z][A-Z0-9_]*)`\s+\(default ([^)\s,;]+)\)/g];
  for (const spelling of spellings) {
    for (const [, name, value] of README.matchAll(spelling)) {
      const variable = mustBeDeclared(t, name, 'prose');
      if (!variable) continue;
      checked++;
      t.is(value, defaultText(variable), `README's default for ${name}`);
    }
  }
  t.true(checked >= 10, `only ${checked} prose defaults checked`);
});

/** Shell variables in scripts/ that hold a declared default under their own name. */
const SCRIPT_ALIASES: Record<string, Record<string, string>> = {
  'postgres.sh': { DB: 'POSTGRES_DB', SUPERUSER: 'POSTGRES_USER', PASSWORD: 'POSTGRES_PASSWORD' },
};

test('scripts/ restate declared defaults, as ${NAME:-default} or in a named shell variable, unchanged', (t) => {
  let checked = 0;
  for (const file of fs.readdirSync(path.join(ROOT, 'scripts'))) {
    const text = fs.readFileSync(path.join(ROOT, 'scripts', file), 'utf8');
    for (const [, name, value] of text.matchAll(/\$\{([A-Z0-9_]+):-([^}]*)\}/g)) {
      const variable = declared(name);
      if (!variable) continue;
      checked++;
      t.is(value, defaultText(variable), `${file}: default of ${name}`);
    }
    for (const [shellName, name] of Object.entries(SCRIPT_ALIASES[file] ?? {})) {
      const assigned = new RegExp(`^${shellName}=(\\S+)$`, 'm').exec(text);
      t.truthy(assigned, `${file} sets ${shellName}`);
      checked++;
      t.is(assigned?.[1], defaultText(declared(name)!), `${file}: ${shellName} (${name})`);
    }
  }
  t.true(checked >= 3, `only ${checked} script defaults checked`);
});

test("docker/: the database compose file creates the database and user the declarations default to", (t) => {
  const compose = parse(fs.readFileSync(path.join(ROOT, 'docker/postgresql-compose.yml'), 'utf8')) as {
    services: Record<string, { environment: string[] }>;
  };
  const [service] = Object.values(compose.services);
  const names = service.environment.map((entry) => entry.split('=')[0]).sort();
  t.deepEqual(names, ['POSTGRES_DB', 'POSTGRES_PASSWORD', 'POSTGRES_USER']);
  for (const entry of service.environment) {
    const [name, value] = entry.split('=');
    t.is(value, defaultText(declared(name)!), `postgresql-compose.yml: ${name}`);
  }
});
