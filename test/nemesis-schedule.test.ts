import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { monotonicUs } from '../tester/check/history.js';
import type { Fault } from '../tester/nemesis/fault.js';
import { Nemesis } from '../tester/nemesis/nemesis.js';
import { waitUntil } from '../tester/harness/wait-until.js';

const INTERVAL_MS = 50;

/** A fault whose heal lasts until `release` is called, as a member's restart outlasts a short run. */
function slowHealingFault() {
  let release = () => {};
  const fault: Fault = {
    name: 'slow-heal',
    start: async () => 'struck',
    stop: () => new Promise((resolve) => (release = () => resolve('healed'))),
  };
  return { fault, release: () => release() };
}

test('no fault begins after the deadline, though the last heal outlasts it', async (t) => {
  const { fault, release } = slowHealingFault();
  const nemesis = new Nemesis([fault], INTERVAL_MS);
  const originUs = monotonicUs();
  // Far past the first fault's start (one interval in), so a slow start on a busy host still comes before it.
  const deadlineUs = originUs + 20 * INTERVAL_MS * 1000;
  nemesis.start(originUs, deadlineUs);
  t.true(await waitUntil(() => monotonicUs() > deadlineUs && nemesis.events.length === 1, 10_000));
  release();
  t.true(await waitUntil(() => nemesis.events.length === 2, 10_000));
  // Several intervals with the schedule left to itself: without the deadline it strikes again.
  await sleep(6 * INTERVAL_MS);
  const events = await nemesis.stop();
  t.deepEqual(
    events.map((event) => `${event.f}: ${event.value}`),
    ['start-slow-heal: struck', 'stop-slow-heal: healed'],
  );
  t.true(events[0].time < (deadlineUs - originUs) * 1000, 'the one fault began before the deadline');
});

test('without a deadline the schedule goes on until stopped', async (t) => {
  const fault: Fault = { name: 'quick', start: async () => 'struck', stop: async () => 'healed' };
  const nemesis = new Nemesis([fault], 10);
  nemesis.start(monotonicUs());
  t.true(await waitUntil(() => nemesis.events.length >= 6, 10_000));
  const events = await nemesis.stop();
  t.is(events.length % 2, 0, 'every fault begun is healed');
});
