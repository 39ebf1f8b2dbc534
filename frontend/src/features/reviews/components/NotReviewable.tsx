import type { EvaluationOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { EmptyState } from "../../../components/ui/States";
import { formatDuration } from "../../../lib/format";

function timeLeft(evaluation: EvaluationOut): string {
  if (evaluation.cancel_requested) return "stopping after this batch";
  return evaluation.eta_seconds === null
    ? "estimating time left…"
    : `about ${formatDuration(evaluation.eta_seconds * 1000)} left`;
}

/**
 * Why there is nothing to grade yet, or ever: still answering (how far, how long; the page asks again until it is
 * done, then shows the review), stopped (why), or a benchmark's evaluation (no generated answers).
 */
export function NotReviewable({ evaluation }: { evaluation: EvaluationOut }) {
  const { status, done, total } = evaluation;
  if (evaluation.kind === "multiple_choice") {
    return (
      <Card testId="review-not-reviewable">
        <EmptyState title="No generated answers to review">
          This evaluation answered a benchmark’s multiple-choice questions by ranking the choices: the model wrote no
          answers. Its accuracy is on the run’s page.
        </EmptyState>
      </Card>
    );
  }
  if (status === "queued" || status === "running") {
    return (
      <Card title="The model is still answering" testId="review-answering">
        <div className="review-answering">
          {status === "queued" ? (
            <ProgressBar value={null} label="Waiting for a training worker to start answering…" testId="review-progress" />
          ) : (
            <ProgressBar
              value={total > 0 ? done / total : null}
              label={`Answering ${done} of ${total} · ${timeLeft(evaluation)}`}
              testId="review-progress"
            />
          )}
          <p className="muted small">The review opens here by itself once every answer is in.</p>
        </div>
      </Card>
    );
  }
  return (
    <div className="notice notice-error" role="alert" data-testid="review-not-reviewable">
      <div className="notice-title">
        {status === "cancelled"
          ? `This evaluation was cancelled after ${done} of ${total} answers`
          : `This evaluation failed after ${done} of ${total} answers`}
      </div>
      <div className="notice-message review-text" dir="auto" data-testid="review-not-reviewable-error">
        {evaluation.error ?? "No reason was recorded."}
      </div>
      <div className="notice-message">
        Only a finished evaluation’s answers can be reviewed: evaluate again from the run’s page.
      </div>
    </div>
  );
}
