import { useState } from "react";
import type { DatasetOut, EvaluationOut } from "../../../client/types.gen";
import { DownloadButton } from "../../../components/ui/DownloadButton";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { EXPORT_FORMATS, evaluationExportUrl } from "../../../lib/evaluations";
import { formatDuration } from "../../../lib/format";
import { useCancelEvaluation } from "../api/queries";
import { decodingSummary, splitLabel } from "../../../lib/evaluationText";
import { sourceLabel } from "../format";

const STATUS_TEXT: Record<EvaluationOut["status"], string> = {
  queued: "Queued",
  running: "Answering",
  succeeded: "Scored",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** Where counting started: the first poll that saw the evaluation answer something (loading the model is not
 * answering, so it does not count towards the rate). */
type Anchor = { at: number; done: number; answering: boolean };

/**
 * Milliseconds left for each running evaluation, from the rate seen between polls (`fetchedAt`: when the list was
 * fetched). None until two polls have seen answers.
 */
function useRemaining(items: EvaluationOut[], fetchedAt: number): Record<number, number> {
  const [anchors, setAnchors] = useState<Record<number, Anchor>>({});
  const [seenAt, setSeenAt] = useState<number | null>(null);
  // Updated while rendering the poll that brought new counts (React's "state from the previous render" pattern).
  if (seenAt !== fetchedAt) {
    setSeenAt(fetchedAt);
    const next: Record<number, Anchor> = {};
    for (const e of items) {
      if (e.status !== "running") continue;
      const anchor = anchors[e.id];
      next[e.id] =
        anchor === undefined
          ? { at: fetchedAt, done: e.done, answering: false }
          : !anchor.answering && e.done > anchor.done
            ? { at: fetchedAt, done: e.done, answering: true }
            : anchor;
    }
    setAnchors(next);
  }
  const remaining: Record<number, number> = {};
  for (const e of items) {
    const anchor = anchors[e.id];
    if (e.status !== "running" || !anchor?.answering || e.done <= anchor.done || fetchedAt <= anchor.at) continue;
    const perMs = (e.done - anchor.done) / (fetchedAt - anchor.at);
    remaining[e.id] = (e.total - e.done) / perMs;
  }
  return remaining;
}

function Progress({ evaluation, remaining }: { evaluation: EvaluationOut; remaining: number | undefined }) {
  const { status, done, total } = evaluation;
  const counted = `${done} of ${total}`;
  if (status === "running") {
    const eta = remaining === undefined ? "estimating time left…" : `about ${formatDuration(remaining)} left`;
    return (
      <ProgressBar
        value={total > 0 ? done / total : null}
        label={`${counted} · ${evaluation.cancel_requested ? "stopping after this batch" : eta}`}
        testId="evaluation-progress"
      />
    );
  }
  if (status === "queued") return <span className="muted small">waiting for a training worker</span>;
  if (status === "succeeded") return <span className="muted small">{`${total} answered`}</span>;
  return (
    <span className="small eval-list-error">
      {status === "cancelled" ? `stopped at ${counted}` : `${counted} answered`}
      {evaluation.error ? `: ${evaluation.error}` : ""}
    </span>
  );
}

/**
 * The run's evaluations, oldest first: what answered which examples, how, and how far it got (n of N with the time
 * left, from the list's polling); cancel one that is queued or answering, view a scored one, download the answers.
 */
export function EvaluationList({
  runId,
  evaluations,
  fetchedAt,
  datasets,
  viewedId,
  onView,
}: {
  runId: number;
  evaluations: EvaluationOut[];
  fetchedAt: number;
  datasets: DatasetOut[];
  viewedId: number | null;
  onView: (evaluation: EvaluationOut) => void;
}) {
  const cancel = useCancelEvaluation(runId);
  const remaining = useRemaining(evaluations, fetchedAt);
  const names = new Map(datasets.map((d) => [d.id, d.name]));
  return (
    <>
      {cancel.isError ? <ErrorNotice error={cancel.error} title="Could not cancel the evaluation" /> : null}
      <div className="table-wrap">
        <table className="table eval-list" data-testid="evaluation-list">
          <thead>
            <tr>
              <th>#</th>
              <th>Answers from</th>
              <th>Examples</th>
              <th>Decoding</th>
              <th>Status</th>
              <th className="row-actions" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {evaluations.map((evaluation) => {
              const unfinished = evaluation.status === "queued" || evaluation.status === "running";
              return (
                <tr
                  key={evaluation.id}
                  className={evaluation.id === viewedId ? "eval-list-viewed" : undefined}
                  data-testid="evaluation-row"
                  data-evaluation={evaluation.id}
                  data-status={evaluation.status}
                >
                  <td className="mono muted">{evaluation.id}</td>
                  <td>{sourceLabel(evaluation)}</td>
                  <td>
                    <div className="eval-list-dataset">
                      {names.get(evaluation.dataset_id ?? -1) ?? `dataset #${evaluation.dataset_id ?? "?"}`}
                    </div>
                    <div className="muted small">
                      {splitLabel(evaluation.split)} · {evaluation.total} examples
                    </div>
                  </td>
                  <td className="small eval-list-decoding">{decodingSummary(evaluation.decoding)}</td>
                  <td className="eval-list-status">
                    <span className={`badge badge-${evaluation.status}`} data-testid="evaluation-status-badge">
                      <span className="badge-dot" aria-hidden="true" />
                      {STATUS_TEXT[evaluation.status]}
                    </span>
                    <Progress evaluation={evaluation} remaining={remaining[evaluation.id]} />
                  </td>
                  <td className="row-actions">
                    <span className="eval-list-actions">
                      {evaluation.status === "succeeded" ? (
                        <button
                          type="button"
                          className="btn btn-sm"
                          disabled={evaluation.id === viewedId}
                          onClick={() => onView(evaluation)}
                          data-testid="evaluation-view"
                        >
                          {evaluation.id === viewedId ? "Viewing" : "View"}
                        </button>
                      ) : null}
                      {unfinished ? (
                        <button
                          type="button"
                          className="btn btn-sm btn-danger"
                          disabled={evaluation.cancel_requested || cancel.isPending}
                          onClick={() => cancel.mutate(evaluation.id)}
                          data-testid="evaluation-cancel"
                        >
                          {evaluation.cancel_requested ? "Cancelling…" : "Cancel"}
                        </button>
                      ) : null}
                      {evaluation.done > 0
                        ? EXPORT_FORMATS.map((format) => (
                            <DownloadButton
                              key={format}
                              href={evaluationExportUrl(evaluation.id, format)}
                              testId={`evaluation-export-${format}`}
                              title={`Every answer with its expected answer and scores, as ${format.toUpperCase()}`}
                            >
                              {format.toUpperCase()}
                            </DownloadButton>
                          ))
                        : null}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
