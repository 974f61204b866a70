/**
 * The slope of the least-squares line through points: how fast a quantity grows over a run. A
 * fitted line, not last minus first, so that one garbage collection's swing near either end does
 * not decide the figure.
 */
export function leastSquaresSlope(points: ReadonlyArray<readonly [x: number, y: number]>): number {
  if (points.length < 2) throw new RangeError(`a slope needs 2 points or more, got ${points.length}`);
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  // Centred sums: the raw-sum formula loses digits when x is large next to its spread.
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  }
  if (sxx === 0) throw new RangeError('a slope needs two different x');
  return sxy / sxx;
}
