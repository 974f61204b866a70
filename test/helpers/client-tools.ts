/**
 * The real HTTP clients the interoperability tests drive the server with, as installed by
 * scripts/test-tools.sh. A missing tool fails the test that needs it, naming the fix: a skip
 * would let a CI machine without the tools pass without ever running them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './server-process.js';

const INSTALLED = {
  curl: 'curl',
  ab: 'ab',
  wrk: 'wrk',
  hey: path.join(ROOT, '.services/bin/hey'),
  python: path.join(ROOT, '.services/venv/bin/python'),
} as const;

export type ClientTool = keyof typeof INSTALLED;

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The tool's executable path; throws naming the install script when it is missing. */
export function toolPath(tool: ClientTool): string {
  const name = INSTALLED[tool];
  const candidates = path.isAbsolute(name)
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  const found = candidates.find(executable);
  if (!found) throw new Error(`${tool} is not installed (looked for ${name}): run bash scripts/test-tools.sh`);
  return found;
}
