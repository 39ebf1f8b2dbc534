import { useQueries } from "@tanstack/react-query";
import { useMemo } from "react";
import type { MetricOut } from "../../../client/types.gen";
import { ChartControls } from "../../../components/charts/ChartControls";
import { MetricChart, type ChartLine } from "../../../components/charts/MetricChart";
import { finiteExtent } from "../../../components/charts/series";
import { useChartSettings } from "../../../components/charts/useChartSettings";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { formatLoss } from "../../../lib/format";
import { runQueries } from "../api/queries";
import { X_AXES, groupMetrics, placeSeries, stepPositions } from "../metrics";

export type ComparedCurve = { id: number; label: string; color: string; baseLoss: number | null };

const EMPTY: MetricOut[] = [];

/**
 * The compared runs' training and validation loss overlaid, a colour per run, each run's base model validation loss
 * as a dashed line in its colour; the smoothing, x axis and log scale of the run page's charts. One metrics request
 * per run (GET /api/runs/{id}/metrics), cached as the run page caches it.
 */
export function CompareCharts({ runs }: { runs: ComparedCurve[] }) {
  const [settings, setSettings] = useChartSettings();
  const xAxis = X_AXES[settings.xMode];
  const results = useQueries({ queries: runs.map((run) => runQueries.metrics(run.id)) });
  const failed = results.find((result) => result.isError);
  const pending = results.some((result) => result.isPending);
  const itemsKey = results.map((result) => result.dataUpdatedAt).join(",");
  const placed = useMemo(
    () =>
      runs.map((run, i) => {
        const items = results[i]?.data?.items ?? EMPTY;
        const positions = stepPositions(items, settings.xMode);
        const series = groupMetrics(items);
        return { run, train: placeSeries(series, "train_loss", positions), val: placeSeries(series, "eval_loss", positions), positions };
      }),
    // results changes identity on every render; its data only when a request answers (itemsKey).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runs, itemsKey, settings.xMode],
  );
  const xExtent = useMemo(() => finiteExtent(placed.flatMap((p) => [...p.positions.values()])), [placed]);
  const trainLines = useMemo<ChartLine[]>(
    () => placed.map(({ run, train }) => ({ label: run.label, color: run.color, ...train, smooth: true })),
    [placed],
  );
  const valLines = useMemo<ChartLine[]>(
    () =>
      placed.flatMap(({ run, val }) => {
        const lines: ChartLine[] = [{ label: run.label, color: run.color, ...val, kind: "points" }];
        if (run.baseLoss !== null && xExtent) {
          const y = [run.baseLoss, run.baseLoss];
          lines.push({ label: `${run.label}: base model`, color: run.color, x: xExtent, y, kind: "reference" });
        }
        return lines;
      }),
    [placed, xExtent],
  );
  const emptyText = pending ? "Loading metrics…" : "No loss was recorded for these runs.";
  const chart = { xAxis, xExtent, yFormat: formatLoss, log: settings.logScale, smoothing: settings.smoothing, syncKey: "compare", height: 280, emptyText };

  return (
    <Card title="Loss" actions={<span className="muted small">drag to zoom, double-click to reset</span>} testId="compare-charts">
      <ChartControls settings={settings} onChange={setSettings} />
      {failed?.error ? <ErrorNotice error={failed.error} title="Could not load a run's metrics" /> : null}
      <div className="compare-charts">
        <div>
          <div className="chart-title">Training loss</div>
          <MetricChart lines={trainLines} yLabel="training loss" testId="compare-train-chart" {...chart} />
        </div>
        <div>
          <div className="chart-title">Validation loss (dashed: each run’s base model)</div>
          <MetricChart lines={valLines} yLabel="validation loss" testId="compare-val-chart" {...chart} />
        </div>
      </div>
    </Card>
  );
}
