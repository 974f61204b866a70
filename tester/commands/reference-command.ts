import { Command } from 'clipanion';
import { LoadCommand } from './load-command.js';

/** The reference's spelling: `tester --counter-type web --n-clients 10 ...`. */
export class ReferenceCommand extends LoadCommand {
  static paths = [Command.Default];
  static usage = Command.Usage({
    description: "The reference's form: name the counter with --counter-type",
    details: `
      Each counter also has its own command: tester web, tester postgresql, tester hazelcast
      (see tester web --help). tester compare runs the whole scenario grid.
    `,
    examples: [
      ['Web counter', 'tester --counter-type web --n-clients 10 --n-calls-per-client 10000'],
      ['PostgreSQL', 'tester --counter-type postgresql --n-clients 10 --method serializable_update --do-retries True'],
      ['Hazelcast', 'tester --counter-type hazelcast --n-clients 10 --n-calls-per-client 1000 --method atomic'],
    ],
  });
  protected readonly fixedType = undefined;
}
