import { UsageError } from 'clipanion';

/** `--server "STORAGE_METHOD=disk STORAGE_PATH=/tmp/c.txt"`: space-separated NAME=value settings. */
export function parseServerEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) {
      const example = '--server "STORAGE_METHOD=postgresql WORKERS=2"';
      throw new UsageError(`--server ${JSON.stringify(pair)} is not NAME=value: use e.g. ${example}`);
    }
    env[match[1]] = match[2];
  }
  return env;
}
