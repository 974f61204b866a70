import type { CounterFactory, EngineCalls, EngineRunEnd } from '../../counters/counter.js';
import { monotonicUs } from '../../tester/check/history.js';

export interface EngineRun {
  values: number[];
  errors: Error[];
  okCount: number;
  final: number;
  retryCount: number;
}

/**
 * `clients` clients of the factory's engine, `calls` increments each, from a reset, drained while
 * they run as the tester drains them; `during` runs alongside. Closes the factory.
 */
export async function runEngine(
  factory: CounterFactory,
  clients: number,
  calls: number,
  during: () => Promise<void> = async () => {},
): Promise<EngineRun> {
  const counter = await factory.open();
  try {
    await counter.reset();
    const engine = await factory.openEngine!(clients);
    const taken: EngineCalls[] = [];
    const timer = setInterval(() => taken.push(engine.drain()), 50);
    let end: EngineRunEnd;
    try {
      [end] = await Promise.all([engine.run({ startUs: monotonicUs(), callsPerClient: calls }), during()]);
    } finally {
      clearInterval(timer);
      await engine.close();
    }
    taken.push(end);
    const run: EngineRun = { values: [], errors: [], okCount: 0, final: await counter.read(), retryCount: end.retryCount ?? 0 };
    for (const batch of taken) {
      for (let i = 0; i < batch.length; i++) {
        const error = batch.errors.get(i);
        if (error) run.errors.push(error);
        else run.okCount++;
        if (!error && !Number.isNaN(batch.values[i])) run.values.push(batch.values[i]);
      }
    }
    return run;
  } finally {
    await counter.close();
    await factory.close();
  }
}
