import type { CounterFactory } from '../../counters/counter.js';

export interface DriveResult {
  values: number[];
  failures: Error[];
  final: number;
}

/** Minimal load for tests: n users, each making its calls in sequence, all at once. */
export async function drive(factory: CounterFactory, clientCount: number, callsPerClient: number): Promise<DriveResult> {
  const counters = await Promise.all(Array.from({ length: clientCount }, () => factory.open()));
  await counters[0].reset();
  const values: number[] = [];
  const failures: Error[] = [];
  await Promise.all(
    counters.map(async (counter) => {
      for (let i = 0; i < callsPerClient; i++) {
        try {
          const value = await counter.increment();
          if (value !== undefined) values.push(value);
        } catch (err) {
          failures.push(err as Error);
        }
      }
    }),
  );
  const final = await counters[0].read();
  await Promise.all(counters.map((counter) => counter.close()));
  await factory.close();
  return { values, failures, final };
}
