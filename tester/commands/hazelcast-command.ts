import { Command } from 'clipanion';
import { LoadCommand } from './load-command.js';

export class HazelcastCommand extends LoadCommand {
  static paths = [['hazelcast']];
  static usage = Command.Usage({
    description: 'Increment a Hazelcast counter with one method and judge the result',
    details: `
      Methods: no_lock, pessimistic (default), optimistic, atomic (CP IAtomicLong), fenced_lock,
      pn_counter. The cluster comes from HZ_CLUSTER_MEMBERS and HZ_CLUSTER_NAME.
    `,
    examples: [
      ['Pessimistic locking, 10 clients', '$0 hazelcast --n-clients 10 --n-calls-per-client 1000'],
      ['CP IAtomicLong', '$0 hazelcast --n-clients 10 --n-calls-per-client 1000 --method atomic'],
      ['Show lost updates', '$0 hazelcast --n-clients 10 --n-calls-per-client 1000 --method no_lock'],
      ['Under faults', '$0 hazelcast --n-clients 10 --duration 60s --method atomic --nemesis kill-member,pause-member'],
    ],
  });
  protected readonly fixedType = 'hazelcast' as const;
}
