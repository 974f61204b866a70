import { Command } from 'clipanion';
import { LoadCommand } from './load-command.js';

export class WebCommand extends LoadCommand {
  static paths = [['web']];
  static usage = Command.Usage({
    description: 'Hammer the web counter (POST /inc) and judge the result',
    details: `
      Resets the counter, starts the clients at once (one keep-alive connection each), makes the
      calls, reads the final count and checks every returned value: exact count, no duplicates,
      real-time order. Several --counter-host/--counter-port values spread clients over servers.

      Answers may be {"count":N}, {"value":N}, a bare N, or another field named by --count-field.
      A server whose POST /inc answers without a value (e.g. {"status":"ok"}) is judged on its final
      GET /count alone; POST /reset may answer anything 2xx.

      --max-p99, --min-rps and --max-errors are thresholds: when one fails, the verdict names it
      and the exit code is 1.
    `,
    examples: [
      ['10 clients, 10000 calls each', '$0 web --n-clients 10'],
      ['Against another host', '$0 web --n-clients 10 --counter-host 10.0.0.5 --counter-port 8080'],
      ['Two servers sharing one counter', '$0 web --n-clients 10 --counter-port 8080,8081'],
      ['30 seconds at a fixed 20000 req/s', '$0 web --n-clients 50 --duration 30s --rate 20000'],
      ['JSON result', '$0 web --n-clients 10 --n-calls-per-client 1000 --json'],
      ['A server answering {"total":N}', '$0 web --n-clients 10 --count-field total'],
      [
        'Share 2 of 3 of one run, from the second of three hosts (then: tester merge seg1.json seg2.json seg3.json)',
        '$0 web --n-clients 30 --segment 2/3 --start-at 2026-12-06T04:00:00Z --output seg2.json --history seg2.jsonl',
      ],
      ['In CI: fail on slow or failing calls', '$0 web --n-clients 10 --max-p99 20ms --min-rps 5000 --max-errors 0'],
      [
        'Under faults: our server on a disk store, a worker then the whole server killed',
        '$0 web --n-clients 10 --duration 60s --nemesis kill-worker,kill-server --server "STORAGE_PATH=/tmp/c.txt"',
      ],
    ],
  });
  protected readonly fixedType = 'web' as const;
}
