/** A user-fixable configuration problem: printed as one line, never with a stack. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** The variable's value, or the default when it is unset or empty. */
export function readString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readString(env, name, String(fallback)).trim();
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(env[name])} is invalid: set it to a whole number from ${min} to ${max}`);
  }
  return value;
}

export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, 1, 65535);
}

export function readChoice<T extends string>(env: Env, name: string, fallback: T, choices: readonly T[]): T {
  const value = readString(env, name, fallback);
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is invalid: use one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** Accepts the reference's spellings: True/False/true/false/1/0 (and yes/no). */
export function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  return undefined;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = parseBoolean(raw);
  if (value === undefined) throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: use true or false`);
  return value;
}
