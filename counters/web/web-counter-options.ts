/** How the tester reaches a web counter: shared by the JS clients and the native engine. */
import type { Target } from './http-connection.js';

export interface WebCounterOptions {
  targets: Target[];
  timeoutMs: number;
  /** Sent with POST /reset when the server was started with RESET_TOKEN. */
  resetToken?: string;
  /** The JSON field that holds the count; by default `count`, then `value`, or a bare number. */
  countField?: string;
  /** Who makes the load's increments: the addon's epoll loop (default) or one JS client per user. */
  engine?: 'native' | 'js';
}
