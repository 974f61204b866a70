import type { CounterFactory } from '../../counters/counter.js';
import type { Target } from '../../counters/web/http-connection.js';
import type { HazelcastMethod } from '../../counters/hazelcast/method.js';
import type { PostgresMethod } from '../../counters/postgresql/methods.js';

/**
 * Which backend and method a run drives, as plain data: it crosses into worker threads,
 * where each thread builds its own factory from it.
 */
export type CounterSpec =
  | {
      backend: 'web';
      targets: Target[];
      timeoutMs: number;
      resetToken?: string;
      countField?: string;
      engine?: 'native' | 'js';
    }
  | { backend: 'postgresql'; method: PostgresMethod; doRetries: boolean; engine?: 'native' | 'js' }
  | { backend: 'hazelcast'; method: HazelcastMethod; engine?: 'native' | 'js' }
  /** A counter of the caller's own: the module at `url` default-exports a function making its factory. */
  | { backend: 'module'; url: string };

/** Backends load lazily, so a web run never loads the PostgreSQL or Hazelcast clients. */
export async function createFactory(spec: CounterSpec): Promise<CounterFactory> {
  switch (spec.backend) {
    case 'web': {
      const { webCounterFactory } = await import('../../counters/web/web-counter.js');
      return webCounterFactory(spec);
    }
    case 'postgresql': {
      const { postgresqlCounterFactory } = await import('../../counters/postgresql/postgresql-counter.js');
      return postgresqlCounterFactory({ method: spec.method, doRetries: spec.doRetries, engine: spec.engine });
    }
    case 'hazelcast': {
      const { hazelcastCounterFactory } = await import('../../counters/hazelcast/hazelcast-counter.js');
      return hazelcastCounterFactory(spec.method, process.env, { engine: spec.engine });
    }
    case 'module': {
      const module = (await import(spec.url)) as { default: () => CounterFactory | Promise<CounterFactory> };
      return module.default();
    }
  }
}
