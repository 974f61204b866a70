/**
 * Hosts on this machine for a distributed run: a network namespace per host, each with its own
 * address on one Ethernet segment (a bridge in a namespace of its own, so the machine's own
 * network is untouched), as separate machines on one switch would be. Names and the subnet
 * carry the test's pid, so test processes side by side differ.
 */
import { execFileSync } from 'node:child_process';
import { removeNetworkSync } from '../../tester/nemesis/server-network.js';

export interface Host {
  /** The namespace's name: `ip netns exec NAME ...` runs there. */
  name: string;
  address: string;
  /** The command prefix that runs a program on this host (it execs the program). */
  prefix: string[];
}

export class SegmentHosts {
  private constructor(
    private readonly switchName: string,
    readonly hosts: Host[],
  ) {}

  /** `count` hosts, up and reachable from one another. */
  static create(count: number): SegmentHosts {
    const pid = process.pid;
    const subnet = `10.215.${pid & 0xff}`;
    const hosts = Array.from({ length: count }, (_, i) => {
      const name = `cseg${pid}h${i + 1}`;
      return { name, address: `${subnet}.${i + 1}`, prefix: ['ip', 'netns', 'exec', name] };
    });
    const made = new SegmentHosts(`cseg${pid}sw`, hosts);
    try {
      ip('netns', 'add', made.switchName);
      ip('-n', made.switchName, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', made.switchName, 'link', 'set', 'br0', 'up');
      hosts.forEach((host, i) => made.plug(host, `port${i + 1}`));
    } catch (err) {
      made.destroy();
      throw err;
    }
    return made;
  }

  /** Removes every host (what runs there is killed) and the switch. */
  destroy(): void {
    for (const name of [...this.hosts.map((host) => host.name), this.switchName])
      removeNetworkSync({ kind: 'namespace', name, links: [] });
  }

  /** The host's own namespace, its eth0 wired to a port of the switch. */
  private plug(host: Host, port: string): void {
    ip('netns', 'add', host.name);
    ip('-n', host.name, 'link', 'set', 'lo', 'up');
    ip('-n', this.switchName, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name);
    ip('-n', this.switchName, 'link', 'set', port, 'master', 'br0');
    ip('-n', this.switchName, 'link', 'set', port, 'up');
    ip('-n', host.name, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
    ip('-n', host.name, 'link', 'set', 'eth0', 'up');
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
