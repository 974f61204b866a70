declare module 'pg-native' {
  type Row = Record<string, unknown>;
  type Callback<T> = (err: Error | undefined, value: T) => void;
  interface Libpq {
    resultErrorFields(): Record<string, string> | undefined;
    startReader(): void;
    stopReader(): void;
    on(event: 'readable', listener: () => void): this;
    removeListener(event: 'readable', listener: () => void): this;
  }
  class Client {
    constructor(config?: { arrayMode?: boolean });
    pq: Libpq;
    connect(params: string, cb: (err?: Error) => void): void;
    query(text: string, values: unknown[], cb: Callback<Row[]>): void;
    query(text: string, cb: Callback<Row[]>): void;
    prepare(name: string, text: string, nParams: number, cb: (err?: Error) => void): void;
    execute(name: string, values: unknown[], cb: Callback<Row[]>): void;
    end(cb?: () => void): void;
    /** Detaches pg-native's reader from libpq (it would parse whatever arrives). */
    _stopReading(): void;
    /** pg-native's reader: reads the socket, and answers the statement in flight if its result is in. */
    _read(): void;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  export = Client;
}
