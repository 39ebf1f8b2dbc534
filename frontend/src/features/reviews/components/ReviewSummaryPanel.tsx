import type { ReviewSummaryOut } from "../../../client/types.gen";
import { plural } from "../../../lib/format";
import { formatShare, formatStatistic } from "../format";

const METHOD: Record<NonNullable<ReviewSummaryOut["agreement"]>["method"], string> = {
  cohen_kappa: "Cohen’s kappa",
  krippendorff_alpha: "Krippendorff’s alpha",
};

/**
 * Every reviewer's reviews of the evaluation: how many answers are reviewed, the share of reviews that say correct
 * (Wilson 95% interval), the verdicts by tag, the reviewers, their agreement and the judge's agreement with them.
 */
export function ReviewSummaryPanel({ summary }: { summary: ReviewSummaryOut }) {
  const { by_verdict: verdicts, agreement, judge_agreement: judge } = summary;
  return (
    <div className="review-summary" data-testid="review-summary">
      <dl className="review-summary-stats">
        <div>
          <dt>Reviewed</dt>
          <dd data-testid="summary-reviewed">
            {summary.reviewed} of {summary.examples}
          </dd>
        </div>
        <div>
          <dt>Correct</dt>
          <dd data-testid="summary-share-correct">{formatShare(summary.share_correct)}</dd>
        </div>
        <div>
          <dt>Verdicts</dt>
          <dd>
            {verdicts.correct} correct · {verdicts.partly} partly · {verdicts.wrong} wrong
          </dd>
        </div>
        <div>
          <dt>Reviewers</dt>
          <dd dir="auto">
            {summary.reviewers.length === 0
              ? "none yet"
              : summary.reviewers.map((r) => `${r.reviewer} (${r.reviewed})`).join(", ")}
          </dd>
        </div>
        <div>
          <dt>Agreement between reviewers</dt>
          <dd data-testid="summary-agreement">
            {agreement
              ? `${METHOD[agreement.method]} ${formatStatistic(agreement.value)} on ${plural(agreement.shared_examples, "shared example")}`
              : "needs two reviewers on a same answer"}
          </dd>
        </div>
        <div>
          <dt>Judge agrees with reviewers</dt>
          <dd data-testid="summary-judge-agreement">
            {judge
              ? `${Math.round(judge.agreement_rate * 100)}% of ${plural(judge.examples, "answer")} · kappa ${formatStatistic(judge.kappa)}`
              : "needs a judged, reviewed answer"}
          </dd>
        </div>
      </dl>
      {summary.tags.length > 0 ? (
        <div className="table-wrap">
          <table className="table review-tag-table" data-testid="summary-tags">
            <caption className="muted small">Verdicts by tag (every reviewer’s)</caption>
            <thead>
              <tr>
                <th scope="col">Tag</th>
                <th scope="col">Correct</th>
                <th scope="col">Partly</th>
                <th scope="col">Wrong</th>
              </tr>
            </thead>
            <tbody>
              {summary.tags.map((row) => (
                <tr key={row.tag}>
                  <th scope="row" dir="auto" className="review-tag-name">
                    {row.tag}
                  </th>
                  <td className="mono">{row.correct}</td>
                  <td className="mono">{row.partly}</td>
                  <td className="mono">{row.wrong}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p className="muted small">
        A judge score of 0.7 and up reads as correct, 0.4 and up as partly, below as wrong. Kappa and alpha: 1 is full
        agreement, 0 what chance gives.
      </p>
    </div>
  );
}
