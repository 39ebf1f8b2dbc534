import type { MetricOut } from "../../client/types.gen";
import type { XAxis } from "../../components/charts/MetricChart";
import type { XMode } from "../../components/charts/useChartSettings";
import { formatDuration, parseApiDate } from "../../lib/format";

/** The x axes the charts can use, shared by the run page and the compare page. */
export const X_AXES: Record<XMode, XAxis> = {
  step: { label: "step", format: (v) => (Number.isInteger(v) ? String(v) : ""), halfWidth: 1 },
  epoch: { label: "epoch", format: (v) => String(Number(v.toFixed(2))), halfWidth: 0.05 },
  time: { label: "time", format: (v) => formatDuration(v * 1000), halfWidth: 1 },
};

export type MetricSeries = Map<string, { steps: number[]; values: number[] }>;

/** A metric's number. JSON has no NaN or Infinity: the API sends them as value null with non_finite naming them. */
export function metricNumber(item: Pick<MetricOut, "value" | "non_finite">): number {
  if (item.value !== null) return item.value;
  if (item.non_finite === "Infinity") return Number.POSITIVE_INFINITY;
  if (item.non_finite === "-Infinity") return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

/**
 * Group metric rows by name, each in step order (the last value wins for a repeated step).
 * Non-finite values stay NaN or ±Infinity, which the charts mark.
 */
export function groupMetrics(items: MetricOut[]): MetricSeries {
  const byName = new Map<string, Map<number, number>>();
  for (const item of items) {
    let points = byName.get(item.name);
    if (!points) {
      points = new Map();
      byName.set(item.name, points);
    }
    points.set(item.step, metricNumber(item));
  }
  const series: MetricSeries = new Map();
  for (const [name, points] of byName) {
    const steps = [...points.keys()].sort((a, b) => a - b);
    series.set(name, { steps, values: steps.map((step) => points.get(step) ?? Number.NaN) });
  }
  return series;
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
 * Where each step lies on the chosen x axis: the step itself, its epoch (as the Trainer reported it; step 0,
 * before training, is epoch 0), or seconds since the run's first metric. Steps without an epoch are left out.
 */
export function stepPositions(items: MetricOut[], mode: XMode): Map<number, number> {
  const positions = new Map<number, number>();
  if (mode === "step") {
    for (const item of items) positions.set(item.step, item.step);
  } else if (mode === "epoch") {
    for (const item of items) {
      const epoch = item.epoch ?? (item.step === 0 ? 0 : null);
      if (epoch !== null) positions.set(item.step, epoch);
    }
  } else {
    const times = items.map((item) => parseApiDate(item.time).getTime());
    const start = Math.min(...times);
    items.forEach((item, i) => {
      const seconds = ((times[i] ?? start) - start) / 1000;
      positions.set(item.step, Math.min(positions.get(item.step) ?? Infinity, seconds));
    });
  }
  return positions;
}

/** A named series placed on the x axis of `positions` (its points at steps without a position left out). */
export function placeSeries(
  series: MetricSeries,
  name: string,
  positions: Map<number, number>,
): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  const s = series.get(name);
  s?.steps.forEach((step, i) => {
    const at = positions.get(step);
    if (at === undefined) return;
    x.push(at);
    y.push(s.values[i] ?? Number.NaN);
  });
  return { x, y };
}
