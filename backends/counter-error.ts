/** What a failed increment means for the checker's bounds. */
export type ErrorKind =
  | 'refused' // never reached the backend: certainly not applied
  | 'reset' // connection lost mid-request: may or may not have been applied
  | 'timeout' // no answer in time: may or may not have been applied
  | 'http_status' // the server answered with a non-2xx status
  | 'conflict' // the backend rejected it (serialization failure, retries exhausted): not applied
  | 'protocol' // an answer we could not parse
  | 'backend'; // any other backend error

export class CounterError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CounterError';
  }
}
