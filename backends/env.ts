import type { BooleanVar, ChoiceVar, IntegerVar, OptionalIntegerVar, StringVar } from './env-vars.js';

/** A user-fixable configuration problem: printed as one line, never with a stack. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** The variable's value, or the default when it is unset or empty. */
export function readString(env: Env, variable: StringVar, fallback = variable.fallback): string {
  const value = env[variable.name];
  return value === undefined || value === '' ? fallback : value;
}

/** `fallback` and `min` may be raised for a variable bounded by another (a cap at least its base). */
export function readInteger(env: Env, variable: IntegerVar, fallback = variable.fallback, min = variable.min): number {
  const raw = env[variable.name];
  return raw === undefined || raw === '' ? fallback : parseInteger(variable.name, raw, min, variable.max);
}

/** Undefined when unset or empty. */
export function readOptionalInteger(env: Env, variable: OptionalIntegerVar): number | undefined {
  const raw = env[variable.name];
  return raw === undefined || raw === '' ? undefined : parseInteger(variable.name, raw, variable.min, variable.max);
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: set it to a whole number from ${min} to ${max}`);
  }
  return value;
}

export function readChoice<T extends string>(env: Env, variable: ChoiceVar<T>, fallback = variable.fallback): T {
  const value = env[variable.name] || fallback;
  return parseChoice(value, variable.choices, `${variable.name}=${JSON.stringify(value)}`);
}

/**
 * The one check of a name against its list (a variable's values, a counter's methods, a flag's
 * choices); `subject` names what was given in the one-line error.
 */
export function parseChoice<T extends string>(value: string, choices: readonly T[], subject: string): T {
  const known = choices.find((name) => name === value);
  if (known === undefined) throw new ConfigError(`${subject} is invalid: use one of ${choices.join(', ')}`);
  return known;
}

/** Accepts the reference's spellings: True/False/true/false/1/0 (and yes/no). */
export function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  return undefined;
}

export function readBoolean(env: Env, variable: BooleanVar): boolean {
  const raw = env[variable.name];
  if (raw === undefined || raw === '') return variable.fallback;
  const value = parseBoolean(raw);
  if (value === undefined)
    throw new ConfigError(`${variable.name}=${JSON.stringify(raw)} is invalid: use true or false`);
  return value;
}
