import { Command, UsageError } from 'clipanion';
import { StateDirError } from '../nemesis/leftovers.js';
import { healDeadTesters, healedLine } from '../nemesis/heal.js';
import { EXIT } from '../options/exit-codes.js';

/** Undoes what testers killed during a fault left in force, and nothing else. */
export class HealCommand extends Command {
  static paths = [['heal']];
  static usage = Command.Usage({
    description: 'Undo the faults a killed tester left in force, and nothing else',
    details: `
      A tester writes each fault to a state file before injecting it. When a tester died before
      healing it (SIGKILL, a crash), this resumes the store processes it paused (SIGCONT), starts
      the ones it killed again with their command line, user and environment, stops the server it
      started and removes its network namespace, then says so in one line per dead tester. Faults
      of testers that still run are theirs to heal. Every load run does this first.

      Exit codes: 0 healed, or nothing to heal; 1 something could not be healed (it stays
      recorded for the next attempt); 2 usage error.
    `,
    examples: [['After a tester was killed during pause-postgresql', '$0 heal']],
  });

  async execute(): Promise<number> {
    const healed = await healDeadTesters().catch((err: unknown) => {
      if (err instanceof StateDirError) throw new UsageError(err.message);
      throw err;
    });
    if (healed.length === 0) this.context.stdout.write('nothing to heal: no dead tester left a fault in force\n');
    for (const one of healed) {
      if (one.failed.length === 0) this.context.stdout.write(`${healedLine(one)}\n`);
      else this.context.stderr.write(`tester: ${healedLine(one)}\n`);
    }
    return healed.some((one) => one.failed.length > 0) ? EXIT.failed : EXIT.passed;
  }
}
