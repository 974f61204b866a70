import { Command } from 'clipanion';
import { LoadCommand } from './load-command.js';

export class PostgresqlCommand extends LoadCommand {
  static paths = [['postgresql']];
  static usage = Command.Usage({
    description: 'Increment a PostgreSQL row with one concurrency-control method and judge the result',
    details: `
      One connection per client. Methods: lost_update, inplace_update (default),
      row_level_locking, optimistic_concurrency_control, serializable_update, advisory_lock,
      sharded. Connection settings come from DB_HOST, DB_PORT, POSTGRES_DB, POSTGRES_USER and
      POSTGRES_PASSWORD.
    `,
    examples: [
      [
        'In-place UPDATE, 10 clients',
        '$0 postgresql --n-clients 10 --n-calls-per-client 10000 --method inplace_update',
      ],
      ['Serializable with retries', '$0 postgresql --n-clients 10 --method serializable_update --do-retries True'],
      ['Show lost updates', '$0 postgresql --n-clients 10 --n-calls-per-client 1000 --method lost_update'],
      ['Under faults', '$0 postgresql --n-clients 10 --duration 60s --nemesis restart-postgresql,pause-postgresql'],
    ],
  });
  protected readonly fixedType = 'postgresql' as const;
}
