/** The first line of an error's message (or of any text), trimmed: what a one-line report shows. */
export function firstLine(errOrText: unknown): string {
  const text = errOrText instanceof Error ? errOrText.message : String(errOrText);
  return text.trim().split('\n')[0].trim();
}
