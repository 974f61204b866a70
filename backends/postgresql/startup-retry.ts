/** Connection attempts at startup: a database that is still booting gets about 10 s. */
const CONNECT_ATTEMPTS = 10;
const ATTEMPT_PAUSE_MS = 1000;

/** Retries only what waiting can fix (a server still starting); a wrong password fails at once. */
export async function withStartupRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const transient = /Connection refused|timeout expired|starting up|shutting down/i.test((err as Error).message);
      if (!transient || i >= CONNECT_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, ATTEMPT_PAUSE_MS));
    }
  }
}
