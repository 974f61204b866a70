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
    `,
    examples: [
      ['10 clients, 10000 calls each', 'tester web --n-clients 10'],
      ['Against another host', 'tester web --n-clients 10 --counter-host 10.0.0.5 --counter-port 8080'],
      ['Two servers sharing one counter', 'tester web --n-clients 10 --counter-port 8080,8081'],
      ['30 seconds at a fixed 20000 req/s', 'tester web --n-clients 50 --duration 30s --rate 20000'],
      ['JSON result', 'tester web --n-clients 10 --n-calls-per-client 1000 --json'],
    ],
  });
  protected readonly fixedType = 'web' as const;
}
