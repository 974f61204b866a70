/** What every statistic here starts from: a checked, sorted copy of a sample, its median and its extremes. */

/** A closed interval [low, high]. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * The values in ascending order, in a new array. A sample must be non-empty and finite: a NaN
 * would sort anywhere and silently move every order statistic, so it throws instead.
 */
export function sortedSample(values: readonly number[]): number[] {
  checkSample(values);
  return [...values].sort((x, y) => x - y);
}

export function checkSample(values: readonly number[]): void {
  if (values.length === 0) throw new RangeError('a sample needs at least one value');
  if (!values.every(Number.isFinite)) throw new RangeError(`a sample's values must be finite: ${values.join(', ')}`);
}

/** [start, end) of each run of equal values in a sorted array: the tie groups. */
export function equalRuns(sorted: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1;
    while (end < sorted.length && sorted[end] === sorted[start]) end++;
    runs.push([start, end]);
    start = end;
  }
  return runs;
}

/** The middle value, or the mean of the two middle values of an even-sized sample. */
export function median(values: readonly number[]): number {
  return sortedMedian(sortedSample(values));
}

export function sortedMedian(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The min-max spread: what the rounds actually measured, beside the interval's claim. */
export function range(values: readonly number[]): Interval {
  const sorted = sortedSample(values);
  return { low: sorted[0], high: sorted[sorted.length - 1] };
}
