import { type LaunchedServer, type LaunchOptions, launchServer } from '../harness/server-launcher.js';

/** The web server the tester started (`--server`): it can be killed and started again on its port. */
export class ManagedServer {
  #current: LaunchedServer;

  private constructor(
    private readonly options: LaunchOptions,
    current: LaunchedServer,
  ) {
    this.#current = current;
  }

  static async start(options: LaunchOptions): Promise<ManagedServer> {
    return new ManagedServer(options, await launchServer(options));
  }

  /** The primary's pid (its workers are its children). */
  get pid(): number {
    return this.#current.pid;
  }

  /** Starts it again with the same settings, once the previous one is gone; resolves with the new pid. */
  async restart(): Promise<number> {
    await this.#current.stop();
    this.#current = await launchServer(this.options);
    return this.#current.pid;
  }

  async stop(): Promise<void> {
    await this.#current.stop();
  }
}
