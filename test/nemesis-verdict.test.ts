import test from 'ava';
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome } from '../tester/check/history.js';
import type { NemesisEvent } from '../tester/history/nemesis-event.js';
import { nemesisVerdictPart } from '../tester/judge/nemesis-verdict.js';

/** Three increments: two acknowledged (values 1 and 2), one indeterminate. */
function history(): History {
  const h = new History();
  h.record(0, 10, 20, 1, Outcome.ok);
  h.record(1, 30, 40, 2, Outcome.ok);
  h.record(0, 50, 60, undefined, Outcome.indeterminate);
  return h;
}

const event = (time: number, f: string, value = 'done'): NemesisEvent => ({ time, f, value });

test('no fault ran: the verdict says nothing about faults', (t) => {
  t.deepEqual(nemesisVerdictPart([], checkHistory(history(), { initial: 0, final: 2 })), []);
});

test('a window over within the first second is in milliseconds', (t) => {
  const events = [event(2.5e6, 'start-pause-member'), event(4.5e6, 'stop-pause-member')];
  const check = checkHistory(history(), { initial: 0, final: 3 });
  t.is(nemesisVerdictPart(events, check)[0], 'faults: pause-member 2.5-4.5 ms');
});

test('fault windows in seconds, indeterminate calls, nothing lost', (t) => {
  const events = [
    event(1.02e9, 'start-kill-worker'),
    event(2.1e9, 'stop-kill-worker'),
    event(3e9, 'start-partition'),
    event(4.04e9, 'stop-partition'),
  ];
  t.deepEqual(nemesisVerdictPart(events, checkHistory(history(), { initial: 0, final: 3 })), [
    'faults: kill-worker 1.0-2.1 s, partition 3.0-4.0 s',
    '1 call indeterminate',
    'nothing acknowledged lost',
  ]);
});

test('a loss, an unread final count, a fault not injected, a fault never healed', (t) => {
  const lost = checkHistory(history(), { initial: 0, final: 1 });
  const latency = [event(0, 'start-latency'), event(1e9, 'stop-latency')];
  t.is(nemesisVerdictPart(latency, lost)[2], '1 acknowledged increment LOST');
  const unread = checkHistory(history(), { initial: 0, final: undefined });
  t.is(nemesisVerdictPart(latency, unread)[2], 'losses unknown (final count unread)');
  const events = [
    event(1e9, 'start-kill-member', 'failed: no Hazelcast member listens on port 5703'),
    event(2e9, 'stop-kill-member'),
    event(3e9, 'start-pause-member'),
  ];
  const windows = 'faults: kill-member 1.0-2.0 s (could not inject), pause-member from 3.0 s (never healed)';
  t.is(nemesisVerdictPart(events, lost)[0], windows);
});
