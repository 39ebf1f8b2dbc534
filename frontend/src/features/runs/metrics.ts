import type { MetricOut } from "../../client/types.gen";

export type MetricSeries = Map<string, { steps: number[]; values: number[] }>;

/** Group metric rows by name, each in step order (the last value wins for a repeated step). */
export function groupMetrics(items: MetricOut[]): MetricSeries {
  const byName = new Map<string, Map<number, number>>();
  for (const item of items) {
    let points = byName.get(item.name);
    if (!points) {
      points = new Map();
      byName.set(item.name, points);
    }
    points.set(item.step, item.value);
  }
  const series: MetricSeries = new Map();
  for (const [name, points] of byName) {
    const steps = [...points.keys()].sort((a, b) => a - b);
    series.set(name, { steps, values: steps.map((step) => points.get(step) ?? Number.NaN) });
  }
  return series;
}

/** Several named series on one shared, sorted x axis (null where a series has no point). */
export function alignSeries(series: MetricSeries, names: string[]): { x: number[]; ys: (number | null)[][] } {
  const lookups = names.map((name) => {
    const s = series.get(name);
    const map = new Map<number, number>();
    if (s) s.steps.forEach((step, i) => map.set(step, s.values[i] ?? Number.NaN));
    return map;
  });
  const xs = new Set<number>();
  for (const lookup of lookups) for (const step of lookup.keys()) xs.add(step);
  const x = [...xs].sort((a, b) => a - b);
  return { x, ys: lookups.map((lookup) => x.map((step) => lookup.get(step) ?? null)) };
}

export function lastValue(series: MetricSeries, name: string): { step: number; value: number } | null {
  const s = series.get(name);
  if (!s || s.steps.length === 0) return null;
  const i = s.steps.length - 1;
  return { step: s.steps[i] ?? 0, value: s.values[i] ?? Number.NaN };
}

/**
 * The base model's validation loss: eval_loss measured at step 0, before any training. With `name`
 * "unquantised_eval_loss": a quantised method's (qlora, lora_8bit) base model unquantised, as the user has it.
 */
export function baseEvalLoss(
  series: MetricSeries,
  name: "eval_loss" | "unquantised_eval_loss" = "eval_loss",
): number | null {
  const s = series.get(name);
  if (!s) return null;
  const index = s.steps.indexOf(0);
  return index >= 0 ? (s.values[index] ?? null) : null;
}

/** Latest validation loss measured after training started (step > 0). */
export function latestTunedEvalLoss(series: MetricSeries): { step: number; value: number } | null {
  const s = series.get("eval_loss");
  if (!s) return null;
  for (let i = s.steps.length - 1; i >= 0; i -= 1) {
    const step = s.steps[i] ?? 0;
    if (step > 0) return { step, value: s.values[i] ?? Number.NaN };
  }
  return null;
}

export function lastEpoch(items: MetricOut[]): number | null {
  for (let i = items.length - 1; i >= 0; i -= 1) {
    const epoch = items[i]?.epoch;
    if (epoch !== null && epoch !== undefined) return epoch;
  }
  return null;
}

/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing), skipping gaps.
 * The weight grows with the number of points: a dozen points stay raw, thousands get smoothed hard.
 */
export function smooth(values: (number | null)[]): (number | null)[] {
  const count = values.reduce<number>((n, v) => (v === null ? n : n + 1), 0);
  const weight = Math.min(0.95, Math.max(0, 1 - 20 / Math.max(count, 1)));
  let average = 0;
  let seen = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return null;
    average = average * weight + (1 - weight) * value;
    seen += 1;
    return weight === 0 ? value : average / (1 - weight ** seen);
  });
}
