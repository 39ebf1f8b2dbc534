import { useMemo } from "react";
import type uPlot from "uplot";
import { UPlotChart, type ChartOptions } from "../../../components/ui/UPlotChart";
import { chartAxis, cssVar } from "../../../lib/chart";
import { formatLoss, formatMetric } from "../../../lib/format";
import { alignSeries, smooth, type MetricSeries } from "../metrics";

/** Axes are built with the chart's options (not at import): the stylesheet the colours come from is loaded by then. */
const stepAxis = () => chartAxis("step", (v) => (Number.isInteger(v) ? String(v) : ""), 36);
const metricAxis = (label: string, format: (value: number) => string = formatMetric, size = 52) =>
  chartAxis(label, format, size);

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
function overfittingSeries(): uPlot.Series {
  const stroke = cssVar("--chart-alert");
  return {
    label: "Overfitting flagged",
    stroke,
    width: 2,
    paths: () => null,
    points: { show: true, size: 14, width: 2, stroke, fill: cssVar("--chart-alert-soft") },
    value: stepValue,
  };
}

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
      axes: [stepAxis(), metricAxis("loss")],
      series: [
        { label: "step", value: stepValue },
        {
          label: "Training loss",
          stroke: cssVar("--chart-train-raw"),
          width: 1,
          spanGaps: true,
          points: { show: false },
          value: lossValue,
        },
        {
          label: "Training loss (smoothed)",
          stroke: cssVar("--chart-train"),
          width: 2,
          spanGaps: true,
          points: { show: false },
          value: lossValue,
        },
        {
          label: "Validation loss",
          stroke: cssVar("--chart-validation"),
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6, fill: cssVar("--chart-validation") },
          value: lossValue,
        },
        {
          label: "Base model validation loss",
          stroke: cssVar("--chart-base"),
          width: 1.5,
          dash: [6, 4],
          points: { show: false },
          value: lossValue,
        },
        ...(overfitting ? [overfittingSeries()] : []),
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
      axes: [stepAxis(), metricAxis("lr", (v) => (v === 0 ? "0" : v.toExponential(1)), 58)],
      series: [
        { label: "step", value: stepValue },
        {
          label: "Learning rate",
          stroke: cssVar("--chart-learning-rate"),
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
