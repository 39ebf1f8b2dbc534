import { useMemo } from "react";
import type uPlot from "uplot";
import { UPlotChart, type ChartOptions } from "../../../components/ui/UPlotChart";
import { formatLoss, formatMetric } from "../../../lib/format";
import { alignSeries, smooth, type MetricSeries } from "../metrics";

const CHART_COLORS = {
  train: "#4f46e5",
  trainRaw: "rgba(99, 102, 241, 0.35)",
  validation: "#f97316",
  base: "#64748b",
  learningRate: "#0ea5e9",
  overfitting: "#dc2626",
};

const FONT = '11px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif';
const LABEL_FONT = '600 11px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif';

function axis(label: string, format: (value: number) => string = formatMetric, size = 52): uPlot.Axis {
  return {
    label,
    labelFont: LABEL_FONT,
    labelSize: 18,
    font: FONT,
    stroke: "#6b7280",
    size,
    grid: { stroke: "#eef0f4", width: 1 },
    ticks: { stroke: "#e5e7eb", width: 1, size: 4 },
    values: (_u, splits) => splits.map((v) => format(v)),
  };
}

const stepAxis: uPlot.Axis = {
  ...axis("step", (v) => (Number.isInteger(v) ? String(v) : ""), 36),
};

/**
 * Legend values: the hovered point, or the newest point while the cursor is elsewhere
 * (uPlot types the value as a number but hands over null where a series has no point).
 */
function legendFormatter(format: (value: number) => string) {
  return (u: uPlot, value: number | null, seriesIdx: number, idx: number | null): string => {
    if (idx !== null) return value === null ? "—" : format(value);
    const column = u.data[seriesIdx] ?? [];
    for (let i = column.length - 1; i >= 0; i -= 1) {
      const latest = column[i];
      if (latest !== null && latest !== undefined) return format(latest);
    }
    return "—";
  };
}

const lossValue = legendFormatter(formatLoss);
const stepValue = legendFormatter(String);
const lrValue = legendFormatter((v) => (v === 0 ? "0" : v.toExponential(2)));

function Overlay({ text }: { text: string }) {
  return <div className="chart-overlay">{text}</div>;
}

/** Rings on the validation curve, no line: where the worker flagged overfitting. */
const overfittingSeries: uPlot.Series = {
  label: "Overfitting flagged",
  stroke: CHART_COLORS.overfitting,
  width: 2,
  paths: () => null,
  points: { show: true, size: 14, width: 2, stroke: CHART_COLORS.overfitting, fill: "rgba(220, 38, 38, 0.12)" },
  value: stepValue,
};

/**
 * Training and validation loss against step, with the base model's validation loss as a dashed
 * reference line: the fine-tuned curve only means something relative to it. Where the worker flagged
 * overfitting (validation loss rising while training loss falls), a red ring marks the validation point.
 */
export function LossChart({
  series,
  baseLoss,
  syncKey,
  emptyText,
}: {
  series: MetricSeries;
  baseLoss: number | null;
  syncKey: string;
  emptyText: string;
}) {
  const overfitting = series.has("overfitting");
  const options = useMemo<ChartOptions>(
    () => ({
      scales: { x: { time: false } },
      cursor: { sync: { key: syncKey }, drag: { x: true, y: false } },
      legend: { live: true },
      axes: [stepAxis, axis("loss")],
      series: [
        { label: "step", value: stepValue },
        {
          label: "Training loss",
          stroke: CHART_COLORS.trainRaw,
          width: 1,
          spanGaps: true,
          points: { show: false },
          value: lossValue,
        },
        {
          label: "Training loss (smoothed)",
          stroke: CHART_COLORS.train,
          width: 2,
          spanGaps: true,
          points: { show: false },
          value: lossValue,
        },
        {
          label: "Validation loss",
          stroke: CHART_COLORS.validation,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6, fill: CHART_COLORS.validation },
          value: lossValue,
        },
        {
          label: "Base model validation loss",
          stroke: CHART_COLORS.base,
          width: 1.5,
          dash: [6, 4],
          points: { show: false },
          value: lossValue,
        },
        ...(overfitting ? [overfittingSeries] : []),
      ],
    }),
    [syncKey, overfitting],
  );

  const data = useMemo<uPlot.AlignedData>(() => {
    const { x, ys } = alignSeries(series, ["train_loss", "eval_loss", "overfitting"]);
    const [train = [], validation = [], flagged = []] = ys;
    const lines = [train, smooth(train), validation, x.map(() => baseLoss)];
    if (overfitting) lines.push(flagged.map((flag, i) => (flag ? (validation[i] ?? null) : null)));
    return [x, ...lines];
  }, [series, baseLoss, overfitting]);

  const empty = data[0].length === 0;
  return (
    <UPlotChart options={options} data={data} height={300} testId="loss-chart">
      {empty ? <Overlay text={emptyText} /> : null}
    </UPlotChart>
  );
}

export function LearningRateChart({ series, syncKey }: { series: MetricSeries; syncKey: string }) {
  const options = useMemo<ChartOptions>(
    () => ({
      scales: { x: { time: false } },
      cursor: { sync: { key: syncKey }, drag: { x: true, y: false } },
      legend: { live: true },
      axes: [stepAxis, axis("lr", (v) => (v === 0 ? "0" : v.toExponential(1)), 58)],
      series: [
        { label: "step", value: stepValue },
        {
          label: "Learning rate",
          stroke: CHART_COLORS.learningRate,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
          value: lrValue,
        },
      ],
    }),
    [syncKey],
  );
  const data = useMemo<uPlot.AlignedData>(() => {
    const { x, ys } = alignSeries(series, ["learning_rate"]);
    return [x, ys[0] ?? []];
  }, [series]);
  return (
    <UPlotChart options={options} data={data} height={160} testId="lr-chart">
      {data[0].length === 0 ? <Overlay text="No learning-rate points yet" /> : null}
    </UPlotChart>
  );
}
