/** mulberry32 from tester/stats, the generator of round orders: a fuzz run is the same every time. */
export { seededRandom } from '../../tester/stats/statistics.js';

const TOKENS = [
  '\r\n',
  '\n',
  '\r',
  ' ',
  ':',
  '\0',
  '%00',
  '%',
  '/',
  '..',
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/2.0',
  'HTTP/9.9',
  'Content-Length: 5\r\n',
  'Content-Length: -1\r\n',
  'Content-Length: 99999999999999999999\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding: gzip, chunked\r\n',
  'Connection: close\r\n',
  'Expect: 100-continue\r\n',
  'Upgrade: websocket\r\n',
  'Host: \r\n',
  '\u00ff\u00fe',
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'BREW',
  'CONNECT',
  '0\r\n\r\n',
  'ffffffff\r\n',
  '?a=1&a=2',
  '#frag',
  '*',
];

/**
 * A mutation of `seed`: byte flips, deletions, insertions of random bytes or HTTP-ish tokens,
 * truncation, duplication of a slice, or (one time in eight) random bytes with no seed at all.
 */
export function mutate(random: () => number, seed: string): Buffer {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  if (random() < 0.125) return randomBytes(1 + Math.floor(random() * 300));
  let bytes = Buffer.from(seed, 'latin1');
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: // flip a byte
        if (bytes.length > 0) {
          bytes = Buffer.from(bytes);
          bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
        }
        break;
      case 1: // delete a run
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          bytes.subarray(Math.min(bytes.length, at + 1 + Math.floor(random() * 8))),
        ]);
        break;
      case 2: // insert random bytes
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(1 + Math.floor(random() * 16)), bytes.subarray(at)]);
        break;
      case 3: // insert a token
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(TOKENS), 'latin1'), bytes.subarray(at)]);
        break;
      case 4: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 5: {
        // duplicate a slice (pipelining, repeated headers)
        const end = Math.min(bytes.length, at + 1 + Math.floor(random() * 40));
        bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      default: // a long run of one byte (long names, long values)
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.alloc(1 + Math.floor(random() * 5000), pick([0x41, 0x20, 0x3a, 0x0d])),
          bytes.subarray(at),
        ]);
    }
  }
  return bytes;
}
