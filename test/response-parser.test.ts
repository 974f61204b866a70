import test from 'ava';
import { type ParsedResponse, ProtocolError, ResponseParser } from '../counters/web/response-parser.js';
import { seededRandom } from './helpers/fuzz.js';

/** Responses the way servers may send them: header case, order, extras and framing vary. */
const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"count":1}',
  'HTTP/1.1 200 OK\r\ncontent-length: 12\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n{"count":22}',
  'HTTP/1.1 503 Service Unavailable\r\nCONTENT-LENGTH: 31\r\nContent-Type: ' +
    'application/json\r\n\r\n{"error":"storage unavailable"}',
  'HTTP/1.0 200 OK\r\nX-Content-Length: 99\r\nContent-Length:14\r\n\r\n{"count": 333}',
  'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 16\r\n\r\n{"count":123456}',
  // Chunked, with a chunk extension and a trailer field; then a 204 that needs no length.
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: ' +
    'chunked\r\n\r\n4\r\n{"co\r\n6;ext=1\r\nunt":7\r\n2\r\n7}\r\n0\r\nX-Trailer: a\r\n\r\n',
  'HTTP/1.1 204 No Content\r\nServer: any\r\n\r\n',
];
const EXPECTED: ParsedResponse[] = [
  { status: 200, body: '{"count":1}', keepAlive: true },
  { status: 200, body: '{"count":22}', keepAlive: true },
  { status: 503, body: '{"error":"storage unavailable"}', keepAlive: true },
  { status: 200, body: '{"count": 333}', keepAlive: false },
  { status: 200, body: '{"count":123456}', keepAlive: true },
  { status: 200, body: '{"count":77}', keepAlive: true },
  { status: 204, body: '', keepAlive: true },
];
const STREAM = Buffer.from(RESPONSES.join(''), 'latin1');

/** Feeds the chunks in order and returns every response parsed. */
function parse(chunks: Buffer[]): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  const parser = new ResponseParser((response) => responses.push(response));
  for (const chunk of chunks) parser.feed(chunk);
  return responses;
}

function splitAt(buffer: Buffer, cuts: number[]): Buffer[] {
  const bounds = [0, ...cuts.slice().sort((a, b) => a - b), buffer.length];
  // Copies, so no chunk shares memory with another (as socket chunks would not).
  return bounds.slice(1).map((end, i) => Buffer.from(buffer.subarray(bounds[i], end)));
}

const response = (head: string, body = ''): Buffer => Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');

test('parses every response of a pipelined stream given in one chunk', (t) => {
  t.deepEqual(parse([STREAM]), EXPECTED);
});

test('parses one response per chunk (the usual case)', (t) => {
  t.deepEqual(parse(RESPONSES.map((text) => Buffer.from(text, 'latin1'))), EXPECTED);
});

test('parses the stream cut in two at every byte boundary', (t) => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    t.deepEqual(parse(splitAt(STREAM, [cut])), EXPECTED, `cut at byte ${cut}`);
  }
});

test('parses the stream fed one byte at a time', (t) => {
  t.deepEqual(
    parse(
      splitAt(
        STREAM,
        Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1),
      ),
    ),
    EXPECTED,
  );
});

test('parses the stream cut at random places (seeded)', (t) => {
  const next = seededRandom(20240607);
  for (let round = 0; round < 500; round++) {
    const cutCount = 1 + Math.floor(next() * 12);
    const cuts = Array.from({ length: cutCount }, () => Math.floor(next() * (STREAM.length + 1)));
    t.deepEqual(parse(splitAt(STREAM, cuts)), EXPECTED, `round ${round}, cuts ${cuts.join(',')}`);
  }
});

test('empty chunks change nothing', (t) => {
  const half = STREAM.length >> 1;
  t.deepEqual(
    parse([Buffer.alloc(0), STREAM.subarray(0, half), Buffer.alloc(0), STREAM.subarray(half), Buffer.alloc(0)]),
    EXPECTED,
  );
});

test('keeps its own copy of a partial response: reusing the chunk memory does not corrupt it', (t) => {
  const responses: ParsedResponse[] = [];
  const parser = new ResponseParser((parsed) => responses.push(parsed));
  const buffer = Buffer.alloc(STREAM.length);
  const cut = RESPONSES[0].length + 20; // inside the second response's head
  STREAM.copy(buffer, 0, 0, cut);
  parser.feed(buffer.subarray(0, cut));
  buffer.fill('X'); // the socket reuses its memory for the next read
  STREAM.copy(buffer, 0, cut);
  parser.feed(buffer.subarray(0, STREAM.length - cut));
  t.deepEqual(responses, EXPECTED);
});

test('reports nothing until a response is complete', (t) => {
  const responses: ParsedResponse[] = [];
  const parser = new ResponseParser((parsed) => responses.push(parsed));
  const first = Buffer.from(RESPONSES[0], 'latin1');
  parser.feed(first.subarray(0, first.length - 1));
  t.deepEqual(responses, []);
  parser.feed(first.subarray(first.length - 1));
  t.deepEqual(responses, [EXPECTED[0]]);
});

test('keepAlive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive', (t) => {
  const keepAlive = (head: string) => parse([response(`${head}\r\nContent-Length: 0`)])[0].keepAlive;
  t.true(keepAlive('HTTP/1.1 200 OK'));
  t.false(keepAlive('HTTP/1.1 200 OK\r\nConnection: close'));
  t.false(keepAlive('HTTP/1.1 200 OK\r\nconnection: Close'));
  t.false(keepAlive('HTTP/1.0 200 OK'));
  t.true(keepAlive('HTTP/1.0 200 OK\r\nConnection: keep-alive'));
});

test('an error body or an empty body keeps its status', (t) => {
  t.deepEqual(
    parse([response('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 31', '{"error":"storage unavailable"}')]),
    [{ status: 503, body: '{"error":"storage unavailable"}', keepAlive: true }],
  );
  t.deepEqual(parse([response('HTTP/1.1 204 No Content\r\nContent-Length: 0')]), [
    { status: 204, body: '', keepAlive: true },
  ]);
});

test('Content-Length counts body bytes, not characters of the text before it', (t) => {
  // The body frame ends exactly where Content-Length says, even when the next response follows at once.
  const stream = Buffer.concat([
    response('HTTP/1.1 200 OK\r\nContent-Length: 11', '{"count":7}'),
    response('HTTP/1.1 200 OK\r\nContent-Length: 11', '{"count":8}'),
  ]);
  t.deepEqual(parse([stream]), [
    { status: 200, body: '{"count":7}', keepAlive: true },
    { status: 200, body: '{"count":8}', keepAlive: true },
  ]);
});

function rejects(t: import('ava').ExecutionContext, chunks: Buffer[], message: RegExp): void {
  const error = t.throws(() => parse(chunks), { instanceOf: ProtocolError });
  t.regex(error?.message ?? '', message);
}

test('rejects a garbage status line', (t) => {
  rejects(t, [response('FOO 200 OK\r\nContent-Length: 0')], /not an HTTP\/1\.x response/);
  rejects(t, [response('garbage')], /not an HTTP\/1\.x response/);
  rejects(t, [response('HTTP/1.1 abc OK\r\nContent-Length: 0')], /bad status line/);
  rejects(t, [response('HTTP/1.1 99 Odd\r\nContent-Length: 0')], /bad status line/);
  rejects(t, [response('HTTP/1.1 600 Odd\r\nContent-Length: 0')], /bad status line/);
});

test('rejects a status code with more or fewer than three digits', (t) => {
  rejects(t, [response('HTTP/1.1 2000 OK\r\nContent-Length: 0')], /bad status line/);
  rejects(t, [response('HTTP/1.1 20 OK\r\nContent-Length: 0')], /bad status line/);
  rejects(t, [response('HTTP/1.1 200OK\r\nContent-Length: 0')], /bad status line/);
});

test('a status line without a reason phrase is fine', (t) => {
  t.deepEqual(parse([response('HTTP/1.1 200\r\nContent-Length: 11', '{"count":5}')]), [
    { status: 200, body: '{"count":5}', keepAlive: true },
  ]);
});

test('without a length, a response the server closes after ends with the stream', (t) => {
  for (const head of ['HTTP/1.0 200 OK', 'HTTP/1.1 200 OK\r\nConnection: close']) {
    const responses: ParsedResponse[] = [];
    const parser = new ResponseParser((parsed) => responses.push(parsed));
    parser.feed(response(head, '{"cou'));
    parser.feed(Buffer.from('nt":5}'));
    t.deepEqual(responses, [], 'nothing before the end');
    parser.end();
    t.deepEqual(responses, [{ status: 200, body: '{"count":5}', keepAlive: false }], head);
  }
});

test('rejects a response without Content-Length or chunked encoding', (t) => {
  rejects(t, [response('HTTP/1.1 200 OK\r\nContent-Type: application/json', '{"count":1}')], /without Content-Length/);
  // A header that merely ends in "content-length" does not count.
  rejects(t, [response('HTTP/1.1 200 OK\r\nX-Content-Length: 11', '{"count":1}')], /without Content-Length/);
});

test('reads a chunked body, whatever the header case, and lets it win over Content-Length', (t) => {
  const chunked = (head: string) => response(head, 'b\r\n{"count":1}\r\n0\r\n\r\n');
  t.deepEqual(parse([chunked('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')]), [
    { status: 200, body: '{"count":1}', keepAlive: true },
  ]);
  t.deepEqual(parse([chunked('HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\nContent-Length: 3')]), [
    { status: 200, body: '{"count":1}', keepAlive: true },
  ]);
});

test('rejects malformed chunked framing and other transfer codings', (t) => {
  rejects(
    t,
    [response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', 'zz\r\n{"count":1}\r\n0\r\n\r\n')],
    /bad chunk size/,
  );
  rejects(
    t,
    [response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', '2\r\n{"count":1}\r\n0\r\n\r\n')],
    /not followed by CRLF/,
  );
  rejects(t, [response('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked', '')], /unsupported Transfer-Encoding/);
  rejects(t, [response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', 'fffff\r\n')], /too large/);
});

test('rejects a huge head, whether it comes at once or in small chunks', (t) => {
  const huge = Buffer.from(`HTTP/1.1 200 OK\r\nX-Filler: ${'a'.repeat(20_000)}`, 'latin1');
  rejects(t, [huge], /head too long/);
  const chunks = splitAt(
    huge,
    Array.from({ length: 39 }, (_, i) => (i + 1) * 512),
  );
  rejects(t, chunks, /head too long/);
});

test('a head just under the limit is fine', (t) => {
  const filler = 'a'.repeat(15_000);
  t.deepEqual(parse([response(`HTTP/1.1 200 OK\r\nX-Filler: ${filler}\r\nContent-Length: 11`, '{"count":9}')]), [
    { status: 200, body: '{"count":9}', keepAlive: true },
  ]);
});

test('rejects a body larger than any counter answer', (t) => {
  rejects(t, [response('HTTP/1.1 200 OK\r\nContent-Length: 100000000')], /too large/);
});

test('a response after a valid one is still checked', (t) => {
  const responses: ParsedResponse[] = [];
  const parser = new ResponseParser((parsed) => responses.push(parsed));
  const stream = Buffer.concat([Buffer.from(RESPONSES[0], 'latin1'), response('HTTP/1.1 200 OK')]);
  t.throws(() => parser.feed(stream), { instanceOf: ProtocolError, message: /without Content-Length/ });
  t.deepEqual(responses, [EXPECTED[0]], 'the valid response before the bad one was delivered');
});
