/**
 * External load generators and references (wrk, redis-benchmark, pgbench, javac, vegeta): found
 * on PATH, installed when missing (with apt-get when we are root; Go tools with `go install` into
 * a project-local directory), otherwise reported as "not measured (...)" in the results, never
 * silently dropped.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type Availability = { version: string } | { missing: string };

/** A tool that may live off PATH: the command to run it with. */
export type LocatedTool = { version: string; command: string } | { missing: string };

/** The first line `command versionArgs` prints (stdout or stderr, any exit code), or undefined if absent. */
function versionOf(command: string, versionArgs: string[]): string | undefined {
  try {
    const out = execFileSync(command, versionArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    return out.toString().split('\n')[0].trim() || command;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Some tools (wrk -v) print their version and exit non-zero.
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    return `${stdout ?? ''}${stderr ?? ''}`.split('\n')[0].trim() || command;
  }
}

function aptInstall(aptPackage: string): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '-qq', aptPackage], { stdio: 'ignore', env });
  try {
    install();
    return true;
  } catch {
    try {
      // A fresh container has no package lists yet.
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      install();
      return true;
    } catch {
      return false;
    }
  }
}

/** The tool's version line, or why it cannot be used. */
export function ensureTool(
  command: string,
  versionArgs: string[],
  aptPackage: string,
  log: (line: string) => void,
): Availability {
  const found = versionOf(command, versionArgs);
  if (found) return { version: found };
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get'))
    return { missing: `${command} not found: install the Debian package ${aptPackage}` };
  log(`${command} is missing: apt-get install -y ${aptPackage}`);
  if (!aptInstall(aptPackage)) return { missing: `apt-get install ${aptPackage} failed` };
  const installed = versionOf(command, versionArgs);
  return installed ? { version: installed } : { missing: `${command} still not found after installing ${aptPackage}` };
}

/**
 * A Go tool: on PATH, or in binDir, or built there with `go install module@version` (the Go
 * module proxy serves it). Its version is the pinned one: `go install` embeds none.
 */
export function ensureGoTool(
  command: string,
  module: string,
  version: string,
  binDir: string,
  log: (line: string) => void,
): LocatedTool {
  const pinned = `${command} ${version} (${module})`;
  const local = path.join(binDir, command);
  if (versionOf(local, ['-version'])) return { version: pinned, command: local };
  const onPath = versionOf(command, ['-version']);
  if (onPath) return { version: `${command} on PATH (${onPath})`, command };
  if (versionOf('go', ['version']) === undefined)
    return { missing: `${command} not found and go is missing: install Go, or put ${command} on PATH` };
  log(`${command} is missing: GOBIN=${binDir} go install ${module}@${version}`);
  try {
    fs.mkdirSync(binDir, { recursive: true });
    execFileSync('go', ['install', `${module}@${version}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GOBIN: binDir },
      timeout: 600_000,
    });
  } catch (err) {
    const said = ((err as { stderr?: Buffer }).stderr ?? '').toString().trim().split('\n').pop();
    return { missing: `go install ${module}@${version} failed: ${said || (err as Error).message}` };
  }
  return versionOf(local, ['-version'])
    ? { version: pinned, command: local }
    : { missing: `${local} still not found after go install` };
}
