/** The server's first line speaks plain English: "1 worker", "2 workers". */
import test from 'ava';
import { freePort } from '../tester/harness/free-port.js';
import { startServer } from './helpers/server-process.js';

for (const [workers, words] of [['1', '1 worker,'], ['2', '2 workers,']]) {
  test(`WORKERS=${workers}: the listening line says "${words}"`, async (t) => {
    const server = await startServer({ PORT: String(await freePort()), WORKERS: workers });
    try {
      const line = server.output().split('\n').find((text) => /listening on/.test(text)) ?? '';
      t.true(line.includes(`(shared_memory, ${words} pid`), line);
    } finally {
      await server.stop();
    }
  });
}
