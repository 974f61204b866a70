/**
 * The shape every checker returns, in the style of Jepsen's checkers: a three-valued
 * `valid`, the counts that justify it, and a few examples to look at.
 */

/** true: the history is fine; false: a violation was found; 'unknown': could not decide. */
export type Validity = boolean | 'unknown';

export interface CheckResult {
  valid: Validity;
  /** Why the result is 'unknown' (or any other remark a human needs to read it). */
  reason?: string;
  /** At most `maxExamples` items, so a huge broken history yields a small report. */
  examples: unknown[];
}

/** What a checker that threw becomes, so one broken checker does not hide the others. */
export interface CrashedCheck extends CheckResult {
  valid: 'unknown';
  error: string;
  examples: [];
}

export const maxExamples = 10;

/** Ranks validities worst-first: a violation outranks not knowing, which outranks fine. */
function rank(valid: Validity): number {
  if (valid === false) return 2;
  if (valid === 'unknown') return 1;
  return 0;
}

/** The worst of several validities (true when given none). */
export function worstValidity(validities: Iterable<Validity>): Validity {
  let worst: Validity = true;
  for (const valid of validities) {
    if (rank(valid) > rank(worst)) worst = valid;
  }
  return worst;
}

/** Runs a checker, turning an exception into an 'unknown' result. */
export function runCheck<T extends CheckResult>(check: () => T): T | CrashedCheck {
  try {
    return check();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { valid: 'unknown', reason: `checker failed: ${message}`, error: message, examples: [] };
  }
}

export function isCrashed(result: CheckResult): result is CrashedCheck {
  return 'error' in result;
}
