import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import type { EvaluationOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { comparisonQueries, reviewQueries, useCreateComparison } from "../api/queries";
import { summaryLine } from "../format";

/**
 * On a run's page: "Review answers" (the fine-tuned model's, with how far the review is) and "Blind A/B vs base",
 * which opens the run's comparison of the two, made on first use.
 */
export function RunReviewCard({ tuned, base }: { tuned: EvaluationOut; base: EvaluationOut }) {
  const summary = useQuery(reviewQueries.summary(tuned.id));
  const comparisons = useQuery(comparisonQueries.forEvaluation(tuned.id));
  const create = useCreateComparison();
  const navigate = useNavigate();
  const existing = comparisons.data?.find(
    (c) =>
      (c.evaluation_a === tuned.id && c.evaluation_b === base.id) ||
      (c.evaluation_a === base.id && c.evaluation_b === tuned.id),
  );
  const openComparison = () => {
    if (existing) return void navigate(`/comparisons/${existing.id}`);
    create.mutate(
      { a: tuned.id, b: base.id },
      { onSuccess: (created) => void navigate(`/comparisons/${created.id}`) },
    );
  };
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
            onClick={openComparison}
            disabled={create.isPending || comparisons.isPending}
            data-testid="run-ab-open"
          >
            Blind A/B vs base
          </button>
          <span className="muted small">
            {existing ? "continue voting" : "the fine-tuned and the base model’s answers, unnamed, side by side"}
          </span>
        </div>
      </div>
      {create.error ? <ErrorNotice error={create.error} title="Could not start the comparison" /> : null}
    </Card>
  );
}
