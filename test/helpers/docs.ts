/**
 * The project's documents: README.md, the front door, and docs/*.md, what it links to. Tests that
 * hold documents to the code (sample output, the environment table, commands) read them all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './server-process.js';

/** README.md, then docs/*.md in name order, as paths from the repository's root. */
export const DOC_FILES = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

export function readDoc(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** Every document's text, joined: for checks that do not care which file says it. */
export function allDocs(): string {
  return DOC_FILES.map(readDoc).join('\n');
}
