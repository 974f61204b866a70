/**
 * readCount: every answer shape a counter service may use, and the answers that must not be
 * read as a count (a float read as its integer part, an exponent read as its mantissa).
 */
import test from 'ava';
import { readCount } from '../counters/web/answer-count.js';
import { ProtocolError } from '../counters/web/response-parser.js';

test('reads our own {"count":N}, {"value":N}, a bare N and JSON spelled any valid way', (t) => {
  t.is(readCount('{"count":12345}'), 12345);
  t.is(readCount('{"value":7}'), 7);
  t.is(readCount('42'), 42);
  t.is(readCount(' { "count" : 3 , "status" : "ok" } \n'), 3);
  t.is(readCount('{"count":1.2345e4}'), 12345, 'a valid JSON number with an exponent');
  t.is(readCount('{"count":12345.0}'), 12345);
  t.is(readCount('{"count":9007199254740991}'), Number.MAX_SAFE_INTEGER);
  t.is(readCount('{"count":-5}'), -5);
  t.is(readCount('{"status":"ok","count":8}'), 8, 'the count need not come first');
});

test('"count" wins over "value"; --count-field names any other field and looks only there', (t) => {
  t.is(readCount('{"value":1,"count":2}'), 2);
  t.is(readCount('{"total":9,"count":2}', 'total'), 9);
  t.is(readCount('{"count":2}', 'total'), undefined);
  t.is(readCount('{"count":2}', 'count'), 2);
  t.is(readCount('{"data":{"count":5}}', 'data.count'), 5, 'a dotted field reaches into nested objects');
  t.is(readCount('{"data":[5]}', 'data.count'), undefined);
});

test('an answer without a value is not an error: empty body, null, an object without the field', (t) => {
  for (const body of ['', '  \r\n', 'null', '{"status":"ok"}', '{}'])
    t.is(readCount(body), undefined, JSON.stringify(body));
});

test('a count that is not a safe integer is a protocol error naming the body', (t) => {
  for (const body of [
    '{"count":12345.5}',
    '12345.5',
    '{"count":1e300}',
    '{"count":9007199254740993}',
    '{"count":"12"}',
    '{"count":null}',
    '"ok"',
    '[1]',
    'true',
  ]) {
    const error = t.throws(() => readCount(body), { instanceOf: ProtocolError }, body);
    t.regex(error?.message ?? '', /not a whole number/, body);
    t.true(error?.message.includes(JSON.stringify(body)), `${body}: ${error?.message}`);
  }
});

test('a body that is not JSON is a protocol error showing its first 80 bytes', (t) => {
  t.throws(() => readCount('count=5'), { instanceOf: ProtocolError, message: 'answer is not JSON: "count=5"' });
  const long = `<html>${'x'.repeat(200)}</html>`;
  const error = t.throws(() => readCount(long), { instanceOf: ProtocolError });
  t.is(error?.message, `answer is not JSON: ${JSON.stringify(long.slice(0, 80))} (first 80 of ${long.length} bytes)`);
});
