import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

/**
 * uWebSockets.js, refusing its pure-JS fallback: the package silently swaps in a slow
 * node:http imitation when its binary does not load, which would make every number we
 * measure a lie.
 */
export function loadUws(): typeof Uws {
  if (/^(true|1)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new Error('UWS_USE_FALLBACK is set: unset it, the server runs only on the native uWebSockets.js binary');
  }
  const require = createRequire(import.meta.url);
  const warn = console.warn;
  let warning = '';
  console.warn = (...parts: unknown[]) => void (warning += parts.join(' '));
  try {
    const uws = require('uWebSockets.js') as typeof Uws & { getParts?: unknown };
    // Only the native binding exports getParts; the fallback exports App and little else.
    if (typeof uws.getParts !== 'function') {
      const reason = warning.split('\n').find((line) => line.trim() && !line.includes('not compatible')) ?? 'unknown';
      throw new Error(
        `uWebSockets.js native binary did not load (${reason.trim()}): use Node 20 on linux-x64 with glibc, then ` +
          `npm ci`,
      );
    }
    return uws;
  } finally {
    console.warn = warn;
  }
}
