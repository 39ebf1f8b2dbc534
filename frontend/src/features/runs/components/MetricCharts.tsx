import { useMemo } from "react";
import type { MetricOut } from "../../../client/types.gen";
import { ChartControls } from "../../../components/charts/ChartControls";
import { MetricChart, type ChartLine } from "../../../components/charts/MetricChart";
import { finiteExtent } from "../../../components/charts/series";
import { useChartSettings } from "../../../components/charts/useChartSettings";
import { Card } from "../../../components/ui/Card";
import { formatLoss, formatMetric } from "../../../lib/format";
import { X_AXES, placeSeries, stepPositions, type MetricSeries } from "../metrics";

const formatRate = (v: number) => (v === 0 ? "0" : v.toExponential(1));
const formatThroughput = (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));

/** The charts under the loss: each only once its metric was recorded, all on the loss chart's x range. */
const DYNAMICS = [
  { name: "learning_rate", title: "Learning rate", color: "--chart-learning-rate", axis: "lr", format: formatRate, smooth: false, testId: "lr-chart" },
  { name: "grad_norm", title: "Gradient norm", color: "--chart-grad-norm", axis: "norm", format: formatMetric, smooth: true, testId: "grad-norm-chart" },
  { name: "tokens_per_second", title: "Tokens / s", color: "--chart-throughput", axis: "tokens/s", format: formatThroughput, smooth: true, testId: "throughput-chart" },
] as const;

/**
 * The run's metric charts: loss (training, smoothed over raw; validation; the base model's validation loss as a
 * dashed reference; red rings where overfitting was flagged), then learning rate, gradient norm and throughput,
 * all on one x range with a synced cursor. Smoothing, x axis and log scale are remembered by the browser.
 */
export function RunCharts({
  items,
  series,
  baseLoss,
  syncKey,
  emptyText,
  status,
}: {
  items: MetricOut[];
  series: MetricSeries;
  baseLoss: number | null;
  syncKey: string;
  emptyText: string;
  /** Shown beside the title, e.g. "live" or the number of points. */
  status: string;
}) {
  const [settings, setSettings] = useChartSettings();
  const xAxis = X_AXES[settings.xMode];
  const positions = useMemo(() => stepPositions(items, settings.xMode), [items, settings.xMode]);
  const xExtent = useMemo(() => finiteExtent([...positions.values()]), [positions]);

  const lossLines = useMemo<ChartLine[]>(() => {
    const lines: ChartLine[] = [
      { label: "Training loss", color: "--chart-train", ...placeSeries(series, "train_loss", positions), smooth: true },
      { label: "Validation loss", color: "--chart-validation", ...placeSeries(series, "eval_loss", positions), kind: "points" },
    ];
    if (baseLoss !== null && xExtent) {
      lines.push({ label: "Base model validation loss", color: "--chart-base", x: xExtent, y: [baseLoss, baseLoss], kind: "reference" });
    }
    const flags = placeSeries(series, "overfitting", positions);
    if (flags.x.length > 0) {
      const validation = series.get("eval_loss");
      const lossAt = new Map(validation?.steps.map((step, i) => [positions.get(step), validation.values[i] ?? null]));
      lines.push({ label: "Overfitting flagged", color: "--chart-alert", x: flags.x, y: flags.x.map((x) => lossAt.get(x) ?? null), kind: "flags" });
    }
    return lines;
  }, [series, positions, baseLoss, xExtent]);

  const dynamics = useMemo(
    () =>
      DYNAMICS.filter((chart) => series.has(chart.name)).map((chart) => ({
        ...chart,
        lines: [{ label: chart.title, color: chart.color, ...placeSeries(series, chart.name, positions), smooth: chart.smooth }],
      })),
    [series, positions],
  );

  return (
    <>
      <Card
        title="Loss"
        actions={<span className="muted small">{status} · drag to zoom, double-click to reset</span>}
      >
        <ChartControls settings={settings} onChange={setSettings} />
        <MetricChart
          lines={lossLines}
          xAxis={xAxis}
          xExtent={xExtent}
          yLabel="loss"
          yFormat={formatLoss}
          log={settings.logScale}
          smoothing={settings.smoothing}
          syncKey={syncKey}
          height={300}
          testId="loss-chart"
          emptyText={emptyText}
        />
      </Card>
      {dynamics.length > 0 ? (
        <Card title="Training dynamics">
          <div className="chart-stack">
            {dynamics.map((chart) => (
              <div key={chart.name}>
                <div className="chart-title">{chart.title}</div>
                <MetricChart
                  lines={chart.lines}
                  xAxis={xAxis}
                  xExtent={xExtent}
                  yLabel={chart.axis}
                  yFormat={chart.format}
                  smoothing={settings.smoothing}
                  syncKey={syncKey}
                  height={150}
                  testId={chart.testId}
                />
              </div>
            ))}
          </div>
        </Card>
      ) : null}
    </>
  );
}
