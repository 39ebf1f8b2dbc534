import type { RunStatus } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { useRunEvaluation } from "../api/queries";
import { formatInterval, formatScore, formatSigned, HEADLINE_METRIC, metricLabel, VERDICT_TEXT, verdictTone } from "../format";

function Pending({ children }: { children: string }) {
  return (
    <div className="eval-headline eval-headline-pending" data-testid="evaluation-headline">
      <div className="eval-headline-label">Answers vs base model</div>
      <div className="eval-headline-body muted" data-testid="evaluation-status">
        {children}
      </div>
    </div>
  );
}

/**
 * "Fine-tuned vs base on 4 test examples: ROUGE-L 0.41 → 0.56 (+0.15, 95% CI +0.08 to +0.22)": the scored answers'
 * verdict, next to the loss one. A change whose interval crosses zero reads "no clear change", never an improvement.
 */
export function EvaluationHeadline({ runId, runStatus }: { runId: number; runStatus: RunStatus }) {
  const state = useRunEvaluation(runId, runStatus);
  switch (state.kind) {
    case "not-finished":
      return <Pending>Evaluations appear when the run finishes: both models answer the test split, then each answer is scored.</Pending>;
    case "did-not-succeed":
      return <Pending>The run did not finish, so its answers were not scored.</Pending>;
    case "loading":
      return <Pending>Loading the evaluation…</Pending>;
    case "error":
      return <ErrorNotice error={state.error} title="Could not load the evaluation" />;
    case "none":
      return <Pending>This run finished before the studio scored answers, so it has no evaluation.</Pending>;
    case "failed":
      return <Pending>{`Scoring the ${state.evaluation.model === "base" ? "base model's" : "fine-tuned model's"} answers failed: ${state.evaluation.error ?? "no reason was recorded"}.`}</Pending>;
    case "scoring": {
      const done = state.evaluations.reduce((sum, e) => sum + e.done, 0);
      const total = state.evaluations.reduce((sum, e) => sum + e.total, 0);
      return <Pending>{`Scoring answers on the test split… ${done} of ${total}`}</Pending>;
    }
    case "ready":
      break;
  }
  const { comparison } = state;
  const metric = comparison.metrics.find((m) => m.name === HEADLINE_METRIC) ?? comparison.metrics[0];
  if (!metric) return <Pending>The evaluation has no metrics.</Pending>;
  const tone = verdictTone(metric.verdict);
  return (
    <div className={`eval-headline eval-headline-${tone}`} data-testid="evaluation-headline">
      <div className="eval-headline-label">Answers vs base model</div>
      <div className="eval-headline-text" data-testid="evaluation-headline-text">
        Fine-tuned vs base on {comparison.examples} test {comparison.examples === 1 ? "example" : "examples"}:{" "}
        <strong>{metricLabel(metric.name)}</strong>{" "}
        <span className="mono">
          {formatScore(metric.a, metric.name)} → {formatScore(metric.b, metric.name)}
        </span>{" "}
        ({formatSigned(metric.difference, metric.name)}, {formatInterval(metric)})
      </div>
      <div className="eval-headline-body">
        <span className={`delta delta-${tone}`} data-testid="evaluation-verdict">
          {VERDICT_TEXT[metric.verdict]}
        </span>{" "}
        <span className="muted small">
          {metric.better === 0 && metric.worse === 0
            ? "both models scored the same on every example"
            : metric.verdict === "no_clear_change"
            ? "the interval crosses zero: the test set cannot tell the two models apart on this metric"
            : metric.verdict === "better"
              ? "the whole interval is above zero"
              : metric.verdict === "worse"
                ? "the whole interval is below zero"
                : "the interval excludes zero"}
        </span>
      </div>
    </div>
  );
}
