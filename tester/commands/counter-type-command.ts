import { Command } from 'clipanion';
import { LoadCommand } from './load-command.js';

/** The reference's spelling: `tester --counter-type web --n-clients 10 ...`. */
export class CounterTypeCommand extends LoadCommand {
  static paths = [Command.Default];
  static usage = Command.Usage({
    description: "The reference's form: name the counter with --counter-type",
    details: `
      Each counter also has its own command: npx tester web, npx tester postgresql, npx tester
      hazelcast (see npx tester web --help). npx tester compare runs the whole scenario grid.
      npx tester check judges a saved history again; npx tester merge adds up the segments of a run
      made from several hosts (--segment i/n); npx tester heal undoes the faults a killed tester
      left in force.
    `,
    examples: [
      ['Web counter', '$0 --counter-type web --n-clients 10 --n-calls-per-client 10000'],
      ['PostgreSQL', '$0 --counter-type postgresql --n-clients 10 --method serializable_update --do-retries True'],
      ['Hazelcast', '$0 --counter-type hazelcast --n-clients 10 --n-calls-per-client 1000 --method atomic'],
    ],
  });
  protected readonly fixedType = undefined;
}
