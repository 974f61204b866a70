import * as t from 'typanion';

/**
 * A typanion validator for numeric flags that turns the text into a number and, on a bad value,
 * says the rule in the user's terms: "must be a whole number ≥ 1 (got -3)". Clipanion puts
 * "Invalid value for --flag: " before it; tester/main.ts turns that into "--flag must be ...".
 */
export function wholeNumber(min: number, max: number): t.StrictValidator<unknown, number> {
  return t.makeValidator<unknown, number>({
    test: (value, state): value is number => {
      const text = String(value).trim();
      const number = /^-?\d+$/.test(text) ? Number(text) : NaN;
      if (number >= min && number <= max) {
        if (typeof value === 'string' && state?.coercions && state.coercion) {
          state.coercions.push([state.p ?? '.', state.coercion.bind(null, number)]);
        }
        return true;
      }
      const rule = number > max ? `≤ ${max}` : `≥ ${min}`;
      state?.errors?.push(`${state.p ?? '.'}: must be a whole number ${rule} (got ${text})`);
      return false;
    },
  });
}
