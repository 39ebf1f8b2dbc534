import { Fragment } from "react";
import type { ComparedMetricOut, ComparedRunOut, MetricValue } from "../../../client/types.gen";
import { ComparedHeader, type ComparedColumn } from "../../../components/ui/ComparedColumns";
import { bestIndices } from "../../../lib/best";
import { formatScore, metricLabel } from "../format";

function Score({ value, name }: { value: MetricValue | undefined; name: string }) {
  if (!value || value.value === null) return <span className="muted">—</span>;
  const low = value.ci_low ?? null;
  const high = value.ci_high ?? null;
  return (
    <>
      {formatScore(value.value, name)}
      {low !== null && high !== null ? (
        <span className="compare-interval" title="95% bootstrap confidence interval">
          {formatScore(low, name)}–{formatScore(high, name)}
        </span>
      ) : null}
    </>
  );
}

/**
 * Every metric of the runs' automatic test evaluations side by side with its 95% interval: a row for the fine-tuned
 * models, the best marked (when higher or lower is better), and beneath it a row for each run's base model.
 */
export function ComparedMetricsTable({
  columns,
  runs,
  metrics,
}: {
  columns: readonly ComparedColumn[];
  runs: ComparedRunOut[];
  metrics: ComparedMetricOut[];
}) {
  if (metrics.length === 0) {
    return (
      <p className="muted" data-testid="compare-no-metrics">
        None of these runs has a test evaluation yet: a run evaluates its test split when it succeeds.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table compare-table" data-testid="compare-metrics">
        <ComparedHeader columns={columns} first="Test split" />
        <tbody>
          {metrics.map((metric) => {
            const tuned = runs.map((run) => run.fine_tuned?.metrics[metric.name]);
            const best = bestIndices(
              tuned.map((value) => value?.value),
              metric.higher_is_better,
            );
            return (
              <Fragment key={metric.name}>
                <tr data-testid="metric-row" data-name={metric.name}>
                  <th scope="row" title={metric.description}>
                    {metricLabel(metric.name)}
                    {metric.higher_is_better === null ? null : (
                      <span className="muted small"> {metric.higher_is_better ? "↑" : "↓"}</span>
                    )}
                  </th>
                  {tuned.map((value, i) => (
                    <td
                      key={runs[i]?.id ?? i}
                      className={best.has(i) ? "num mono compare-best" : "num mono"}
                      data-best={best.has(i) || undefined}
                    >
                      <Score value={value} name={metric.name} />
                    </td>
                  ))}
                </tr>
                <tr className="compare-base-row" data-testid="metric-base-row" data-name={metric.name}>
                  <th scope="row">base model</th>
                  {runs.map((run) => (
                    <td key={run.id} className="num mono">
                      <Score value={run.base?.metrics[metric.name]} name={metric.name} />
                    </td>
                  ))}
                </tr>
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
