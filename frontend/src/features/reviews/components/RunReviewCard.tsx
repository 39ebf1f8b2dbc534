import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { EvaluationOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { comparisonQueries, findComparison, reviewQueries, useOpenComparison } from "../api/queries";
import { summaryLine, type RunLabel } from "../format";
import { BlindABDialog } from "./BlindABDialog";

/**
 * On a run's page: "Review answers" (the fine-tuned model's, with how far the review is), "Blind A/B vs base",
 * which opens the run's comparison of the two, made on first use, and "Blind A/B…" against any other evaluation of
 * the same examples.
 */
export function RunReviewCard({
  tuned,
  base,
  runs,
}: {
  tuned: EvaluationOut;
  base: EvaluationOut;
  runs: readonly RunLabel[];
}) {
  const summary = useQuery(reviewQueries.summary(tuned.id));
  const comparisons = useQuery(comparisonQueries.forEvaluation(tuned.id));
  const comparison = useOpenComparison();
  const existing = findComparison(comparisons.data ?? [], tuned.id, base.id);
  return (
    <Card title="Review by hand" testId="run-review">
      <div className="run-review">
        <div className="run-review-item">
          <Link to={`/evaluations/${tuned.id}/review`} className="btn btn-primary" data-testid="run-review-link">
            Review answers
          </Link>
          <span className="muted small" data-testid="run-review-summary">
            {summary.data ? summaryLine(summary.data) : summary.isError ? "" : "…"}
          </span>
        </div>
        <div className="run-review-item">
          <button
            type="button"
            className="btn"
            onClick={() => comparison.open(tuned.id, base.id, comparisons.data ?? [])}
            disabled={comparison.isPending || comparisons.isPending}
            data-testid="run-ab-open"
          >
            Blind A/B vs base
          </button>
          <span className="muted small">
            {existing ? "continue voting" : "the fine-tuned and the base model’s answers, unnamed, side by side"}
          </span>
        </div>
        <div className="run-review-item">
          <BlindABDialog evaluation={tuned} runs={runs} />
          <span className="muted small">against another run, a checkpoint or other decoding on the same examples</span>
        </div>
      </div>
      {comparison.error ? <ErrorNotice error={comparison.error} title="Could not start the comparison" /> : null}
    </Card>
  );
}
