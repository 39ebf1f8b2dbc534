/**
 * The arithmetic behind the metric charts, free of uPlot and the DOM: aligning series on one x axis, smoothing,
 * downsampling for display and axis ranges. A value is a number, NaN for a recorded non-finite value (NaN or
 * ±inf: JSON carries both as null) and null where a series has no point at that x.
 */

export type Value = number | null;

/** Several series, each with its own sorted x, on one shared sorted x (null where a series has no point). */
export function alignOnX(series: readonly { x: readonly number[]; y: readonly Value[] }[]): {
  x: number[];
  ys: Value[][];
} {
  const xs = new Set<number>();
  for (const s of series) for (const x of s.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((value, i) => [value, i]));
  const ys = series.map((s) => {
    const column: Value[] = new Array<Value>(x.length).fill(null);
    s.x.forEach((value, i) => {
      const at = index.get(value);
      if (at !== undefined) column[at] = s.y[i] ?? null;
    });
    return column;
  });
  return { x, ys };
}

/**
 * Exponential moving average with W&B's (and TensorBoard's) debiasing: the running average starts at 0, so the
 * first points are divided by 1 - smoothing^n, and the first smoothed point equals the first raw one.
 * `smoothing` in [0, 1): 0 returns the values, 0.99 averages over about a hundred points.
 * Gaps stay gaps; a non-finite value stays NaN at its x and does not poison the average after it.
 */
export function ema(values: readonly Value[], smoothing: number): Value[] {
  const weight = Math.min(Math.max(smoothing, 0), 0.999);
  let average = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null) return null;
    if (!Number.isFinite(value)) return Number.NaN;
    average = average * weight + (1 - weight) * value;
    count += 1;
    return average / (1 - weight ** count);
  });
}

/**
 * Indices of the points to draw so that `columns` columns of the x range show what the full data shows (M4):
 * in each column the first and last point and, for each series, its lowest and highest point and every
 * non-finite one. Spikes and NaNs survive; every kept point is a real one, at its real x.
 * Returns every index when there are no more points than columns.
 */
export function downsampleIndices(x: readonly number[], ys: readonly (readonly Value[])[], columns: number): number[] {
  const n = x.length;
  if (n <= columns * 2 || n < 3) return x.map((_, i) => i);
  const first = x[0] ?? 0;
  const span = (x[n - 1] ?? 0) - first;
  if (!(span > 0)) return x.map((_, i) => i);
  const keep = new Set<number>();
  let start = 0;
  while (start < n) {
    const column = Math.min(columns - 1, Math.floor((((x[start] ?? 0) - first) / span) * columns));
    let end = start;
    while (end + 1 < n && Math.min(columns - 1, Math.floor((((x[end + 1] ?? 0) - first) / span) * columns)) === column) {
      end += 1;
    }
    keep.add(start).add(end);
    for (const y of ys) {
      let low = -1;
      let high = -1;
      for (let i = start; i <= end; i += 1) {
        const value = y[i];
        if (value === null || value === undefined) continue;
        if (!Number.isFinite(value)) {
          keep.add(i);
          continue;
        }
        if (low < 0 || value < (y[low] ?? 0)) low = i;
        if (high < 0 || value > (y[high] ?? 0)) high = i;
      }
      if (low >= 0) keep.add(low).add(high);
    }
    start = end + 1;
  }
  return [...keep].sort((a, b) => a - b);
}

/** The smallest and largest finite values (of positive ones only, for a log axis); null without any. */
export function finiteExtent(values: readonly Value[], positiveOnly = false): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value === null || !Number.isFinite(value) || (positiveOnly && value <= 0)) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return low <= high ? [low, high] : null;
}

/**
 * A y range that fits the data with a little room: 5% either side, not below 0 for data that is not negative.
 * A constant series gets ±10% of its value around it (a constant 0: -1 to 1, so the line sits mid-chart);
 * no data: 0 to 1. On a log axis: whole decades around the data (a power of ten alone: a decade each way).
 */
export function valueRange(extent: [number, number] | null, log = false): [number, number] {
  if (extent === null) return log ? [0.1, 10] : [0, 1];
  const [low, high] = extent;
  if (log) {
    const bottom = 10 ** Math.floor(Math.log10(low));
    const top = 10 ** Math.ceil(Math.log10(high));
    return bottom === top ? [bottom / 10, top * 10] : [bottom, top];
  }
  if (low === high) {
    if (low === 0) return [-1, 1];
    const pad = Math.abs(low) * 0.1;
    return [low - pad, high + pad];
  }
  const pad = (high - low) * 0.05;
  return [low >= 0 ? Math.max(0, low - pad) : low - pad, high + pad];
}

/** An x range over the data, exactly; a single x gets `halfWidth` either side so its point sits mid-chart. */
export function xRange(extent: [number, number] | null, halfWidth: number): [number, number] {
  if (extent === null) return [0, 1];
  const [low, high] = extent;
  return low === high ? [low - halfWidth, high + halfWidth] : [low, high];
}
