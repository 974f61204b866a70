/**
 * The pieces of a worker's hand-off to the server's one writer, without processes: the
 * coalescer's weighted requests and unbounded writes in flight, and the pipe's frames cut
 * anywhere by the stream.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { IncrementCoalescer } from '../server/stores/increment-coalescer.js';
import {
  type Answer,
  answerReader,
  encodeRequest,
  encodeText,
  encodeValue,
  Op,
  type Request,
  requestReader,
  Status,
} from '../server/stores/writer-protocol.js';

test("a worker's k increments stay one part of one write, and no write carries more than maxBatch", async (t) => {
  let total = 0;
  const writes: number[] = [];
  const writer = new IncrementCoalescer(async (k) => {
    writes.push(k);
    await sleep(2);
    return (total += k);
  }, 4);
  const lasts = await Promise.all([writer.add(3), writer.add(2), writer.add(1), writer.add(4), writer.add(1)]);
  t.deepEqual(writes, [3, 3, 4, 1], 'parts are never split; a write takes the oldest parts that fit');
  t.deepEqual(lasts, [3, 5, 6, 10, 11], "each part gets the value after its last increment: its range's end");
});

test('with unbounded writes in flight, each turn leaves at once without waiting for earlier answers', async (t) => {
  const pending: Array<() => void> = [];
  let total = 0;
  const hand = new IncrementCoalescer(
    (k) =>
      new Promise<number>((resolve) => {
        const last = (total += k);
        pending.push(() => resolve(last));
      }),
    256,
    Infinity,
  );
  const first = [hand.increment(), hand.increment()];
  await new Promise((resolve) => setImmediate(resolve));
  const second = [hand.increment()];
  await new Promise((resolve) => setImmediate(resolve));
  t.is(pending.length, 2, "the second turn's increment left while the first turn's answer was still owed");
  pending.forEach((answer) => answer());
  t.deepEqual(await Promise.all([...first, ...second]), [1, 2, 3]);
});

test("frames survive the stream cutting them anywhere, each side's reader sees them whole", (t) => {
  const requests: Request[] = [];
  const answers: Answer[] = [];
  const sentRequests = Buffer.concat([encodeRequest(Op.Add, 1, 7), encodeRequest(Op.Read, 2, 0)]);
  const sentAnswers = Buffer.concat([
    encodeText(Status.Hello, 0, 'postgresql (127.0.0.1:55432/counter_db)'),
    encodeValue(1, 2 ** 53 - 1),
    encodeText(Status.Failed, 2, 'PostgreSQL at 127.0.0.1:55432: connection refused ✗'),
  ]);
  for (let cut = 0; cut <= sentAnswers.length; cut++) {
    requests.length = 0;
    answers.length = 0;
    const requestSide = requestReader((request) => requests.push(request));
    const answerSide = answerReader((answer) => answers.push(answer));
    const requestCut = Math.min(cut, sentRequests.length);
    requestSide.push(sentRequests.subarray(0, requestCut));
    requestSide.push(sentRequests.subarray(requestCut));
    const pieces = [sentAnswers.subarray(0, cut), sentAnswers.subarray(cut, cut + 1), sentAnswers.subarray(cut + 1)];
    for (const piece of pieces) answerSide.push(piece);
    t.deepEqual(requests, [
      { op: Op.Add, id: 1, count: 7 },
      { op: Op.Read, id: 2, count: 0 },
    ]);
    t.deepEqual(answers, [
      { status: Status.Hello, id: 0, value: 0, text: 'postgresql (127.0.0.1:55432/counter_db)' },
      { status: Status.Ok, id: 1, value: 2 ** 53 - 1, text: '' },
      { status: Status.Failed, id: 2, value: 0, text: 'PostgreSQL at 127.0.0.1:55432: connection refused ✗' },
    ]);
  }
});
