/**
 * Loads one of the tester's optional addons from build/Release (http_loader, pg_loader). A function,
 * not an import side effect: the tester falls back to its JS engine, with a note, when it is missing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest directory above this module holding package.json. */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** The addon `name`.node, or why it could not be loaded (one line, naming the fix). */
export function loadBuiltAddon<T>(name: string): T | string {
  const file = join(packageRoot(), 'build', 'Release', `${name}.node`);
  if (!existsSync(file)) return `native engine not built (missing ${file}): run npm run build:native`;
  try {
    return createRequire(import.meta.url)(file) as T;
  } catch (err) {
    return `cannot load ${file}: ${err instanceof Error ? err.message : String(err)}; run npm run build:native`;
  }
}
