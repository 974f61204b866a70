/**
 * What the tester's command line needs before clipanion sees it: clipanion reads "-3" as an
 * option and a mistyped command as an extra argument, neither of which tells the user much.
 */

/** "--n-clients -3" becomes "--n-clients=-3", so the flag's own check can say what is wrong. */
export function normalizeArgs(args: string[]): string[] {
  const normalized: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (/^--[\w-]+$/.test(args[i]) && next !== undefined && /^-\d/.test(next)) {
      normalized.push(`${args[i]}=${next}`);
      i++;
    } else {
      normalized.push(args[i]);
    }
  }
  return normalized;
}

/** A one-line complaint when the first word is not a command, or undefined when it is fine. */
export function unknownCommand(args: string[], commands: string[]): string | undefined {
  const word = args[0];
  if (word === undefined || word.startsWith('-') || commands.includes(word)) return undefined;
  const nearest = commands
    .map((command) => ({ command, distance: editDistance(word, command) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const suggestion = nearest && nearest.distance <= 2 ? ` (did you mean ${nearest.command}?)` : '';
  return `unknown command ${word}; commands: ${commands.join(', ')}${suggestion}`;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit ("wbe" -> "web"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
