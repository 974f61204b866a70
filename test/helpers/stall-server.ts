import http from 'node:http';

export interface StallServer {
  port: number;
  /** Increments received, answered or not. */
  received(): number;
  stop(): Promise<void>;
}

/**
 * A web counter (the real server's API) that never answers some requests: every `stallEvery`th
 * POST /inc is counted `stalledWeight` times (0: not at all) and left unanswered; with
 * `stallEverything`, no request at all is ever answered. Runs in the test process.
 */
export function startStallServer(
  port: number,
  options: { stallEvery?: number; stalledWeight?: number; stallEverything?: boolean },
): Promise<StallServer> {
  const { stallEvery = 4, stalledWeight = 1, stallEverything = false } = options;
  let count = 0;
  let incCount = 0;
  const reply = (res: http.ServerResponse, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (stallEverything) return;
      const route = `${req.method} ${req.url}`;
      if (route === 'POST /reset') {
        count = 0;
        incCount = 0;
        reply(res, { count });
      } else if (route === 'GET /count') reply(res, { count });
      else if (route === 'POST /inc') {
        incCount++;
        if (incCount % stallEvery === 0) {
          count += stalledWeight;
          return; // never answered
        }
        reply(res, { count: ++count });
      } else {
        res.writeHead(404).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        received: () => incCount,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}
