import type { StoreName } from '../harness/store-catalogue.js';
import type { CounterSpec } from '../load/counter-spec.js';

/** The backends `tester compare` can sweep; `all` runs them in this order. */
export const SUITES = ['web', 'postgresql', 'hazelcast'] as const;
export type Suite = (typeof SUITES)[number];
export const SUITE_CHOICES = [...SUITES, 'all'] as const;

/** The reference's grid: every scenario at each of these client counts. */
export const DEFAULT_CLIENTS = [1, 2, 5, 10];
export const DEFAULT_CALLS_PER_CLIENT = 10_000;

/** The stores of our own web server the web suite runs, one per STORAGE_METHOD (and SHM_INCREMENT). */
export const WEB_STORES: readonly StoreName[] = [
  'shared_memory_flock',
  'shared_memory_atomic',
  'disk',
  'postgresql',
  'hazelcast',
];

/**
 * Scenarios that share a setup: one web store (our server, started once for the whole
 * comparison) or a counter runLoad drives directly: a PostgreSQL or Hazelcast method, or any
 * CounterSpec (the tests' own servers).
 */
export type ScenarioGroup =
  | { suite: 'web'; scenario: string; store: StoreName; clients: number[] }
  | { suite: Suite; scenario: string; spec: CounterSpec; clients: number[] };

/** Parses "1,2,5,10"; undefined when any entry is not a whole number from 1 to `max`. */
export function parseClientList(text: string, max = 100_000): number[] | undefined {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !/^\d+$/.test(part))) return undefined;
  const counts = parts.map(Number);
  if (counts.some((n) => n < 1 || n > max)) return undefined;
  return [...new Set(counts)];
}

/** The suites a --suite value names, or undefined when it names none. */
export function parseSuite(text: string): Suite[] | undefined {
  if (text === 'all') return [...SUITES];
  return (SUITES as readonly string[]).includes(text) ? [text as Suite] : undefined;
}

/**
 * The whole grid, suite by suite, in the reference's order. The method lists load lazily,
 * like the load commands do, so a web-only comparison never loads the database clients.
 */
export async function buildGrid(suites: readonly Suite[], clients: readonly number[]): Promise<ScenarioGroup[]> {
  const groups: ScenarioGroup[] = [];
  for (const suite of suites) {
    switch (suite) {
      case 'web':
        for (const store of WEB_STORES) groups.push({ suite, scenario: store, store, clients: [...clients] });
        break;
      case 'postgresql': {
        const { POSTGRES_METHODS } = await import('../../counters/postgresql/methods.js');
        for (const method of POSTGRES_METHODS) {
          // The reference runs serializable_update with retries; without them it mostly fails.
          const spec: CounterSpec = { backend: 'postgresql', method, doRetries: method === 'serializable_update' };
          groups.push({ suite, scenario: method, spec, clients: [...clients] });
        }
        break;
      }
      case 'hazelcast': {
        const { HAZELCAST_METHODS } = await import('../../counters/hazelcast/method.js');
        for (const method of HAZELCAST_METHODS) {
          groups.push({ suite, scenario: method, spec: { backend: 'hazelcast', method }, clients: [...clients] });
        }
        break;
      }
    }
  }
  return groups;
}

export function scenarioCount(groups: readonly ScenarioGroup[]): number {
  return groups.reduce((sum, group) => sum + group.clients.length, 0);
}
