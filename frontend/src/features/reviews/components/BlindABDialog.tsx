import { useQuery } from "@tanstack/react-query";
import { useRef, useState, type SubmitEvent } from "react";
import type { EvaluationOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { decodingSummary, splitLabel } from "../../../lib/evaluationText";
import { formatDateTime } from "../../../lib/format";
import { comparisonQueries, findComparison, reviewQueries, useOpenComparison } from "../api/queries";
import { answerSource, type RunLabel } from "../format";

/**
 * Evaluations whose answers can be compared blind with `evaluation`'s: finished generated answers to the same
 * dataset's examples, on the same split (or one of them on the whole dataset), newest first.
 */
function pairable(evaluation: EvaluationOut, candidates: readonly EvaluationOut[]): EvaluationOut[] {
  return candidates
    .filter(
      (e) =>
        e.id !== evaluation.id &&
        e.kind === "generation" &&
        e.status === "succeeded" &&
        (e.split === evaluation.split || e.split === null || evaluation.split === null),
    )
    .sort((x, y) => y.id - x.id);
}

function details(evaluation: EvaluationOut): string {
  return [
    `evaluation #${evaluation.id}`,
    splitLabel(evaluation.split),
    `${evaluation.total} answers`,
    decodingSummary(evaluation.decoding),
    `finished ${formatDateTime(evaluation.finished_at)}`,
  ].join(" · ");
}

/**
 * "Blind A/B…": pick another evaluation of the same examples (another run, a checkpoint, a base model, other
 * decoding), then vote on the two sets of answers unnamed. A comparison already made for the pair is reopened.
 */
export function BlindABDialog({
  evaluation,
  runs,
  label = "Blind A/B…",
}: {
  evaluation: EvaluationOut;
  runs: readonly RunLabel[];
  label?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [opened, setOpened] = useState(false);
  const [picked, setPicked] = useState<number | null>(null);
  const datasetId = evaluation.dataset_id ?? 0;
  const candidates = useQuery({ ...reviewQueries.ofDataset(datasetId), enabled: opened && datasetId > 0 });
  const comparisons = useQuery({ ...comparisonQueries.forEvaluation(evaluation.id), enabled: opened });
  const comparison = useOpenComparison();
  const options = candidates.data ? pairable(evaluation, candidates.data.items) : [];
  const made = comparisons.data ?? [];

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (picked !== null) comparison.open(evaluation.id, picked, made);
  };

  return (
    <>
      <button
        type="button"
        className="btn"
        onClick={() => {
          setOpened(true);
          comparison.reset();
          dialog.current?.showModal();
        }}
        data-testid="ab-dialog-open"
      >
        {label}
      </button>
      <dialog ref={dialog} className="eval-dialog" aria-labelledby="ab-dialog-title" data-testid="ab-dialog">
        <form className="eval-dialog-form" onSubmit={submit} noValidate>
          <div className="eval-dialog-header">
            <h2 id="ab-dialog-title" className="eval-dialog-title">
              Blind A/B: which answers are better?
            </h2>
            <button type="button" className="eval-dialog-close" aria-label="Close" onClick={() => dialog.current?.close()}>
              ×
            </button>
          </div>
          <div className="eval-dialog-body">
            <p className="small">
              <span className="muted">Compare </span>
              <strong dir="auto" data-testid="ab-dialog-this">
                {answerSource(evaluation, runs)}
              </strong>
              <span className="muted"> ({details(evaluation)}) with:</span>
            </p>
            {candidates.isPending || comparisons.isPending ? (
              <Loading />
            ) : candidates.isError ? (
              <ErrorNotice error={candidates.error} title="Could not load the evaluations" />
            ) : comparisons.isError ? (
              <ErrorNotice error={comparisons.error} title="Could not load the comparisons" />
            ) : options.length === 0 ? (
              <p className="muted small" data-testid="ab-dialog-empty">
                No other finished evaluation answered these examples yet. Evaluate another run, a checkpoint or the base
                model on this dataset from a run’s page, then compare them here.
              </p>
            ) : (
              <fieldset className="eval-fieldset">
                <legend>Another evaluation of the same examples</legend>
                <div className="ab-options" data-testid="ab-dialog-options">
                  {options.map((option) => (
                    <label key={option.id} className="ab-option" data-evaluation={option.id}>
                      <input
                        type="radio"
                        name="ab-other"
                        value={option.id}
                        checked={picked === option.id}
                        onChange={() => setPicked(option.id)}
                      />
                      <span className="ab-option-text">
                        <span className="ab-option-name" dir="auto">
                          {answerSource(option, runs)}
                          {findComparison(made, evaluation.id, option.id) ? (
                            <span className="badge ab-option-badge">voted on before</span>
                          ) : null}
                        </span>
                        <span className="muted small">{details(option)}</span>
                      </span>
                    </label>
                  ))}
                </div>
              </fieldset>
            )}
            <p className="muted small">
              Each example’s two answers come in random order, named only A and B; 1 A, 2 B, 3 tie, 4 both bad.
            </p>
            {comparison.error ? <ErrorNotice error={comparison.error} title="Could not start the comparison" /> : null}
          </div>
          <div className="eval-dialog-footer">
            <button type="button" className="btn" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={picked === null || comparison.isPending}
              data-testid="ab-dialog-start"
            >
              {picked !== null && findComparison(made, evaluation.id, picked) ? "Continue voting" : "Start voting"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
