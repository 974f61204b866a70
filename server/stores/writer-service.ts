import type { Duplex } from 'node:stream';
import { firstLine } from '../../backends/first-line.js';
import type { Writer } from './writer.js';
import { encodeText, encodeValue, Op, type Request, requestReader, Status } from './writer-protocol.js';

/**
 * The writer's end of one worker's pipe: runs the worker's requests on the writer and answers
 * each once its store answered. Answers of one turn go out in one write (cork until the next
 * tick). A worker that died leaves its requests to complete unanswered: an increment the store
 * committed for it was never acknowledged to a client, which the checker allows.
 */
export function serveWorker(pipe: Duplex, writer: Writer): void {
  const send = (frame: Buffer) => {
    if (pipe.destroyed) return;
    if (!pipe.writableCorked) {
      pipe.cork();
      process.nextTick(() => pipe.uncork());
    }
    pipe.write(frame);
  };
  const run = (request: Request): Promise<number> => {
    if (request.op === Op.Add) return writer.add(request.count);
    if (request.op === Op.Ping) return Promise.resolve(0);
    if (request.op === Op.Read) return writer.read();
    if (request.op === Op.Reset) return writer.reset().then(() => 0);
    return Promise.reject(new Error(`unknown request ${request.op} on the writer's pipe`));
  };
  const reader = requestReader((request) =>
    run(request).then(
      (value) => send(encodeValue(request.id, value)),
      (err: unknown) => send(encodeText(Status.Failed, request.id, firstLine(err))),
    ),
  );
  pipe.on('data', (chunk: Buffer) => reader.push(chunk));
  // A worker killed mid-answer: EPIPE, ECONNRESET. Its replacement gets a pipe of its own.
  pipe.on('error', () => {});
  send(encodeText(Status.Hello, 0, writer.description));
}
