/**
 * A TCP relay in front of a service: cutting it is an outage of that service for whoever dials
 * the relay, and only for them, so a test need not stop a cluster others share.
 */
import net from 'node:net';

export class TcpRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Each relayed connection: its sockets, and whether its answers are held (dropped). */
  private readonly pairs = new Set<{ upstream: net.Socket; client: net.Socket; held: boolean }>();
  /** Bytes the upstream answered, relayed or held. */
  answerBytes = 0;

  /** The connections it relays now. */
  get connectionCount(): number {
    return this.pairs.size;
  }

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Accepts and relays connections (again). */
  up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      const pair = { upstream, client, held: false };
      this.pairs.add(pair);
      client.once('close', () => this.pairs.delete(pair));
      client.pipe(upstream);
      // Answers are written by hand, not piped, so that holding them needs no unpipe (which pauses).
      upstream.on('data', (chunk: Buffer) => {
        this.answerBytes += chunk.length;
        if (!pair.held) client.write(chunk);
      });
      upstream.once('end', () => client.end());
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(from);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.port }, () => resolve());
    });
  }

  /**
   * Stops relaying answers (they are dropped), and resolves once a call is certainly in flight, for
   * down() to cut: a request arrives, or an answer a client waits for is dropped. Either may come
   * first: a client waiting for an answer sends nothing more.
   */
  holdAnswers(): Promise<void> {
    if (this.pairs.size === 0) return Promise.reject(new Error('holdAnswers: no connection is relayed'));
    return new Promise((resolve) => {
      for (const pair of this.pairs) {
        pair.held = true;
        pair.upstream.once('data', () => resolve());
        pair.client.once('data', () => resolve());
      }
    });
  }

  /** Refuses new connections and resets the relayed ones, as a host gone from the network. */
  down(): Promise<void> {
    // One whose end() was called is only destroyed: a reset with its shutdown request in flight
    // leaves that request pending for ever, and the process hangs at exit (Node 20).
    for (const socket of this.sockets) {
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
