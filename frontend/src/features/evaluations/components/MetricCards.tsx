import type { ComparisonOut, EvaluationOut, MetricComparisonOut } from "../../../client/types.gen";
import {
  formatInterval,
  formatScore,
  formatSigned,
  intervalExtent,
  metricLabel,
  VERDICT_TEXT,
  verdictTone,
} from "../format";
import { IntervalBar } from "./IntervalBar";

function Counts({ metric }: { metric: MetricComparisonOut }) {
  const total = metric.better + metric.same + metric.worse;
  const share = (count: number) => `${total > 0 ? (count / total) * 100 : 0}%`;
  // answer_length has no better side: its "better" are longer answers, its "worse" shorter ones.
  const neutral = metric.higher_is_better === null;
  return (
    <div className="eval-counts">
      <div className="eval-counts-bar" aria-hidden="true">
        <span className={neutral ? "eval-count-up" : "eval-count-better"} style={{ width: share(metric.better) }} />
        <span className="eval-count-same" style={{ width: share(metric.same) }} />
        <span className={neutral ? "eval-count-down" : "eval-count-worse"} style={{ width: share(metric.worse) }} />
      </div>
      <div className="eval-counts-text small" data-testid="metric-counts">
        {neutral
          ? `${metric.better} longer · ${metric.same} same · ${metric.worse} shorter`
          : `${metric.better} better · ${metric.same} same · ${metric.worse} worse`}
      </div>
    </div>
  );
}

/** What each side of a comparison is called on the cards: "base model" → "fine-tuned" by default. */
export type SideLabels = { a: string; b: string };

function MetricCard({ metric, extent, labels }: { metric: MetricComparisonOut; extent: number; labels: SideLabels }) {
  const tone = verdictTone(metric.verdict);
  return (
    <div className={`eval-metric eval-metric-${tone}`} data-testid="metric-card" data-metric={metric.name}>
      <div className="eval-metric-header">
        <span className="eval-metric-name">{metricLabel(metric.name)}</span>
        <span className={`delta delta-${tone}`} data-testid="metric-verdict">
          {VERDICT_TEXT[metric.verdict]}
        </span>
      </div>
      <div className="eval-metric-values mono">
        <span title={labels.a} data-testid="metric-base">
          {formatScore(metric.a, metric.name)}
        </span>
        <span className="muted" aria-hidden="true">
          {" → "}
        </span>
        <span className="eval-metric-tuned" title={labels.b} data-testid="metric-tuned">
          {formatScore(metric.b, metric.name)}
        </span>
        {metric.name === "answer_length" ? <span className="muted small"> words</span> : null}
      </div>
      <div className="eval-metric-difference small">
        <span className="mono" data-testid="metric-difference">
          {formatSigned(metric.difference, metric.name)}
        </span>{" "}
        <span className="muted">{formatInterval(metric)}</span>
      </div>
      <IntervalBar metric={metric} extent={extent} />
      <Counts metric={metric} />
      <p className="eval-metric-help muted small">{metric.description}</p>
    </div>
  );
}

/** One card per metric, A → B. Scores in 0–1 share one interval scale, so their bars compare. */
export function MetricCards({
  comparison,
  labels = { a: "base model", b: "fine-tuned" },
}: {
  comparison: ComparisonOut;
  labels?: SideLabels;
}) {
  const scores = comparison.metrics.filter((m) => m.name !== "answer_length");
  const scoreExtent = intervalExtent(scores);
  return (
    <div className="eval-metrics" data-testid="metric-cards">
      {comparison.metrics.map((metric) => (
        <MetricCard
          key={metric.name}
          metric={metric}
          extent={metric.name === "answer_length" ? intervalExtent([metric]) : scoreExtent}
          labels={labels}
        />
      ))}
    </div>
  );
}

/** One evaluation alone: each metric's mean with its 95% bootstrap interval. */
export function MetricValues({ evaluation }: { evaluation: EvaluationOut }) {
  return (
    <div className="eval-metrics" data-testid="metric-cards">
      {Object.entries(evaluation.metrics).map(([name, metric]) => (
        <div key={name} className="eval-metric" data-testid="metric-card" data-metric={name}>
          <div className="eval-metric-header">
            <span className="eval-metric-name">{metricLabel(name)}</span>
          </div>
          <div className="eval-metric-values mono">
            <span className="eval-metric-tuned" data-testid="metric-value">
              {formatScore(metric.value, name)}
            </span>
            {name === "answer_length" ? <span className="muted small"> words</span> : null}
          </div>
          <div className="muted small">
            {metric.ci_low === null || metric.ci_high === null || metric.ci_low === undefined || metric.ci_high === undefined
              ? "too few examples for an interval"
              : `95% CI ${formatScore(metric.ci_low, name)} to ${formatScore(metric.ci_high, name)}`}
          </div>
        </div>
      ))}
    </div>
  );
}
