import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import type { ComparedRunOut, RunComparisonOut } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import type { ComparedColumn } from "../components/ui/ComparedColumns";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { ComparedMetricsTable } from "../features/evaluations/components/ComparedMetricsTable";
import { HEADLINE_METRIC, formatScore, metricLabel } from "../features/evaluations/format";
import { comparisonQueries, findComparison, useOpenComparison } from "../features/reviews/api/queries";
import { runQueries } from "../features/runs/api/queries";
import { CompareCharts } from "../features/runs/components/CompareCharts";
import { DifferingTable, LossTable } from "../features/runs/components/CompareTables";
import { MAX_COMPARED, MIN_COMPARED, compareColor, parseCompareIds } from "../features/runs/compare";
import { bestIndices } from "../lib/best";
import { formatLoss } from "../lib/format";

/** `/runs/compare?ids=3,1,2`: the selection is the URL, so a comparison can be shared and reloaded. */
export function ComparePage() {
  const [params] = useSearchParams();
  const ids = useMemo(() => parseCompareIds(params.get("ids")), [params]);
  const valid = ids.length >= MIN_COMPARED && ids.length <= MAX_COMPARED;
  const comparison = useQuery({ ...runQueries.compare(ids), enabled: valid });
  const header = (
    <PageHeader
      breadcrumb={
        <>
          <Link to="/runs">Runs</Link> <span className="muted">/</span> compare
        </>
      }
      title={valid ? `Compare ${ids.length} runs` : "Compare runs"}
    />
  );
  if (!valid) {
    return (
      <>
        {header}
        <ErrorNotice
          error={new Error(`Select ${MIN_COMPARED} to ${MAX_COMPARED} runs in the runs list, then press Compare.`)}
          title="Nothing to compare"
        />
      </>
    );
  }
  return (
    <>
      {header}
      {comparison.isPending ? (
        <Loading />
      ) : comparison.isError ? (
        <ErrorNotice error={comparison.error} title="Could not compare these runs" />
      ) : (
        <Comparison comparison={comparison.data} />
      )}
    </>
  );
}

function label(run: ComparedRunOut): string {
  return `#${run.id} ${run.name}`;
}

/** Which run is best and why, in a sentence: the lowest validation loss and the best headline metric. */
function verdict(runs: ComparedRunOut[]): string[] {
  const lines: string[] = [];
  const byLoss = [...bestIndices(runs.map((run) => run.best_eval_loss), false)];
  const loss = byLoss.length === 1 ? runs[byLoss[0] ?? 0] : undefined;
  if (loss) lines.push(`Lowest validation loss: ${label(loss)} (${formatLoss(loss.best_eval_loss)}).`);
  const headline = runs.map((run) => run.fine_tuned?.metrics[HEADLINE_METRIC]?.value);
  const byMetric = [...bestIndices(headline, true)];
  const best = byMetric.length === 1 ? runs[byMetric[0] ?? 0] : undefined;
  if (best) {
    const value = best.fine_tuned?.metrics[HEADLINE_METRIC];
    const base = best.base?.metrics[HEADLINE_METRIC]?.value;
    const against = base === null || base === undefined ? "" : ` against its base model’s ${formatScore(base)}`;
    lines.push(`Best ${metricLabel(HEADLINE_METRIC)} on the test split: ${label(best)} (${formatScore(value?.value)}${against}).`);
  }
  return lines;
}

function Comparison({ comparison }: { comparison: RunComparisonOut }) {
  const { runs } = comparison;
  const columns = useMemo<ComparedColumn[]>(
    () => runs.map((run, i) => ({ id: run.id, name: run.name, color: compareColor(i) })),
    [runs],
  );
  const curves = useMemo(
    () => runs.map((run, i) => ({ id: run.id, label: label(run), color: compareColor(i), baseLoss: run.base_eval_loss })),
    [runs],
  );
  const summary = verdict(runs);
  return (
    <>
      {summary.length > 0 ? (
        <div className="notice" data-testid="compare-verdict">
          {summary.map((line) => (
            <div key={line}>{line}</div>
          ))}
        </div>
      ) : null}
      <CompareCharts runs={curves} />
      <Card title="What differs" testId="compare-differing-card">
        <DifferingTable columns={columns} rows={comparison.differing} />
      </Card>
      <div className="compare-results">
        <Card title="Validation loss" flush>
          <LossTable columns={columns} runs={runs} />
        </Card>
        <Card title="Test evaluation" flush actions={<span className="muted small">95% intervals; best in bold</span>}>
          <ComparedMetricsTable columns={columns} runs={runs} metrics={comparison.metrics} />
        </Card>
      </div>
      <BlindPairs runs={runs} />
    </>
  );
}

/** A blind A/B of the fine-tuned models' test answers between any two of the runs that have them. */
function BlindPairs({ runs }: { runs: ComparedRunOut[] }) {
  const comparisons = useQuery(comparisonQueries.list());
  const open = useOpenComparison();
  const evaluated = runs.filter((run) => run.fine_tuned !== null);
  const pairs = evaluated.flatMap((a, i) => evaluated.slice(i + 1).map((b) => [a, b] as const));
  return (
    <Card title="Blind A/B" testId="compare-ab">
      {pairs.length === 0 ? (
        <p className="muted">Two of these runs need a test evaluation (a succeeded run has one) to vote on their answers.</p>
      ) : (
        <>
          <p className="muted small">
            Both models’ answers to the same test examples, unnamed, side by side: vote for the better one.
          </p>
          <div className="compare-ab-pairs">
            {pairs.map(([a, b]) => {
              const tunedA = a.fine_tuned?.id ?? 0;
              const tunedB = b.fine_tuned?.id ?? 0;
              const made = findComparison(comparisons.data ?? [], tunedA, tunedB);
              return (
                <button
                  key={`${a.id}-${b.id}`}
                  type="button"
                  className="btn"
                  disabled={open.isPending || comparisons.isPending}
                  onClick={() => open.open(tunedA, tunedB, comparisons.data ?? [])}
                  data-testid="compare-ab-open"
                >
                  #{a.id} vs #{b.id}
                  {made ? <span className="muted small"> · continue</span> : null}
                </button>
              );
            })}
          </div>
        </>
      )}
      {open.error ? <ErrorNotice error={open.error} title="Could not start the comparison" /> : null}
    </Card>
  );
}
