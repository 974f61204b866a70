/**
 * A network namespace for the web server, so faults can strike the path between it and its
 * store alone: one veth pair carries the clients' calls, another the server's store traffic,
 * which reaches the store (on this machine's loopback) through a relay in the tester.
 * Names carry the tester's pid, so testers side by side differ; each namespace is recorded
 * (leftovers.ts) before it is made, so the one of a tester that died is removed by the next.
 */
import { execFileSync } from 'node:child_process';
import { type Leftover, recordLeftover } from './leftovers.js';
import { commandOutput } from '../harness/run-command.js';
import { signalAll, TOOL_TIMEOUT } from './processes.js';
import { type Delay, startStoreRelay, type StoreRelay } from './store-relay.js';

const NAME_PREFIX = 'counters-nemesis-';

/** Addresses of one veth pair: `outside` in the tester's namespace, `inside` in the server's. */
interface VethPair {
  outsideName: string;
  insideName: string;
  outside: string;
  inside: string;
}

export class ServerNetwork {
  private relay: StoreRelay | undefined;
  private readonly strikeOut: () => void;

  private constructor(
    readonly name: string,
    /** Carries the clients' calls: the server listens on `clients.inside`. */
    readonly clients: VethPair,
    /** Carries the store traffic: `partition` is a rule on `store.insideName`. */
    readonly store: VethPair,
  ) {
    this.strikeOut = recordLeftover(this.leftover);
  }

  /** Creates the namespace with both veth pairs up. */
  static async create(): Promise<ServerNetwork> {
    const pid = process.pid;
    // A /30 per pair in 10.213.0.0/16 and 10.214.0.0/16, chosen by pid: testers side by side differ.
    const [high, low] = [(pid >> 6) & 0xff, (pid & 0x3f) << 2];
    const pair = (tag: string, octet: number): VethPair => ({
      outsideName: `cn${tag}${pid}`,
      insideName: `cn${tag}${pid}i`,
      outside: `10.${octet}.${high}.${low + 1}`,
      inside: `10.${octet}.${high}.${low + 2}`,
    });
    const network = new ServerNetwork(`${NAME_PREFIX}${pid}`, pair('c', 213), pair('s', 214));
    try {
      await ip('netns', 'add', network.name);
      await ip('-n', network.name, 'link', 'set', 'lo', 'up');
      for (const veth of [network.clients, network.store]) await network.connect(veth);
    } catch (err) {
      network.destroySync();
      throw err;
    }
    return network;
  }

  /** The command prefix that runs a program inside the namespace. */
  get prefix(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /**
   * Relays the store at `target` (reachable from the tester) to an address the server can
   * reach; resolves with that address.
   */
  async relayStore(target: { host: string; port: number }): Promise<{ host: string; port: number }> {
    const listen = { host: this.store.outside, port: target.port };
    this.relay = await startStoreRelay(listen, target);
    return listen;
  }

  /** Replaces the store link's queueing rule (`tc qdisc` arguments), or removes it (undefined). */
  async setStoreQdisc(qdisc: string[] | undefined): Promise<void> {
    const device = ['dev', this.store.insideName, 'root'];
    await commandOutput('ip', ['netns', 'exec', this.name, 'tc', 'qdisc', 'del', ...device], TOOL_TIMEOUT).catch(() => {});
    if (qdisc) await commandOutput('ip', ['netns', 'exec', this.name, 'tc', 'qdisc', 'add', ...device, ...qdisc], TOOL_TIMEOUT);
  }

  /** Delays what the server sends to its store (in the relay), or stops delaying (undefined). */
  setStoreDelay(delay: Delay | undefined): void {
    this.relay?.setDelay(delay);
  }

  /** Removes the namespace (its veth pairs and rules go with it); safe to call more than once. */
  destroySync(): void {
    this.relay?.close();
    this.relay = undefined;
    removeNetworkSync(this.leftover);
    this.strikeOut();
  }

  private get leftover(): NamespaceLeftover {
    return { kind: 'namespace', name: this.name, links: [this.clients.outsideName, this.store.outsideName] };
  }

  private async connect(veth: VethPair): Promise<void> {
    await ip('link', 'add', veth.outsideName, 'type', 'veth', 'peer', 'name', veth.insideName);
    await ip('link', 'set', veth.insideName, 'netns', this.name);
    await ip('addr', 'add', `${veth.outside}/30`, 'dev', veth.outsideName);
    await ip('link', 'set', veth.outsideName, 'up');
    await ip('-n', this.name, 'addr', 'add', `${veth.inside}/30`, 'dev', veth.insideName);
    await ip('-n', this.name, 'link', 'set', veth.insideName, 'up');
  }
}

function ip(...args: string[]): Promise<string> {
  return commandOutput('ip', args, TOOL_TIMEOUT);
}

type NamespaceLeftover = Extract<Leftover, { kind: 'namespace' }>;

/**
 * Kills what still runs in the namespace, deletes it (its rules go with it) and the outside ends
 * of its veth pairs; what is gone already is skipped. Says what was done.
 */
export function removeNetworkSync({ name, links }: NamespaceLeftover): string {
  ignoreFailure(() => {
    const pids = execFileSync('ip', ['netns', 'pids', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    signalAll(pids.split('\n').map(Number).filter((n) => n > 0), 'SIGKILL');
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  });
  // A pair whose inside end never reached the namespace is still whole outside it.
  for (const link of links) ignoreFailure(() => execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' }));
  return `network namespace ${name} removed`;
}

/** Cleanup steps find their object gone when a previous cleanup got there first. */
function ignoreFailure(step: () => void): void {
  try {
    step();
  } catch {
    // already removed
  }
}
