import { useRef, useState, type SubmitEvent } from "react";
import { Link } from "react-router";
import type { DerivedDatasetOut, ReviewDatasetPreview } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Toggle } from "../../../components/ui/Toggle";
import { plural } from "../../../lib/format";
import { useReviewDataset } from "../api/queries";

const REASONS: Record<ReviewDatasetPreview["changed"][number]["reason"], string> = {
  corrected: "corrected answer",
  approved: "model’s answer, reviewed correct",
};

type Options = { name: string; useApproved: boolean; dropWrong: boolean };

function Preview({ preview }: { preview: ReviewDatasetPreview }) {
  return (
    <div className="review-preview" data-testid="dataset-preview">
      <p className="small">
        {plural(preview.rows, "example")} in the new dataset, {plural(preview.changed.length, "changed output")}
        {preview.dropped > 0 ? `, ${plural(preview.dropped, "example")} left out (reviewed wrong, not corrected)` : ""}.
      </p>
      {preview.changed.length > 0 ? (
        <ol className="review-preview-list">
          {preview.changed.map((row) => (
            <li key={row.example_id} data-testid="dataset-preview-row" data-example={row.example_id}>
              <div className="muted small">
                #{row.example_id} · {row.split} split · {REASONS[row.reason]}
              </div>
              <div className="review-text small" dir="auto">
                {row.instruction}
              </div>
              <div className="review-preview-change">
                <del className="review-text mono-text eval-diff-missing" dir="auto">
                  {row.before}
                </del>
                <ins className="review-text mono-text eval-diff-inserted" dir="auto">
                  {row.after}
                </ins>
              </div>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

/**
 * "Make dataset…": a new version of the evaluation's dataset from the reviews, next to the original. The options,
 * then a preview of every changed output (asked again whenever an option changes), then "Save": a link to it.
 */
export function MakeDatasetDialog({ evaluationId, datasetName }: { evaluationId: number; datasetName: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const request = useReviewDataset(evaluationId);
  const [options, setOptions] = useState<Options>({
    name: `${datasetName} (reviewed)`,
    useApproved: true,
    dropWrong: false,
  });
  const [preview, setPreview] = useState<ReviewDatasetPreview | null>(null);
  const [created, setCreated] = useState<DerivedDatasetOut | null>(null);

  const send = (isPreview: boolean) =>
    request.mutate(
      {
        name: options.name.trim(),
        preview: isPreview,
        use_approved_answers: options.useApproved,
        drop_wrong: options.dropWrong,
      },
      {
        onSuccess: (result) => {
          if ("changed" in result) setPreview(result);
          else setCreated(result);
        },
      },
    );
  const update = (next: Partial<Options>) => {
    setOptions({ ...options, ...next });
    setPreview(null);
  };
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    send(preview === null);
  };

  return (
    <>
      <button
        type="button"
        className="btn btn-sm"
        onClick={() => {
          setPreview(null);
          setCreated(null);
          request.reset();
          dialog.current?.showModal();
        }}
        data-testid="make-dataset-open"
      >
        Make dataset…
      </button>
      <dialog ref={dialog} className="eval-dialog" aria-labelledby="make-dataset-title" data-testid="make-dataset-dialog">
        <form className="eval-dialog-form" onSubmit={submit} noValidate>
          <div className="eval-dialog-header">
            <h2 id="make-dataset-title" className="eval-dialog-title">
              A new dataset from the reviews
            </h2>
            <button
              type="button"
              className="eval-dialog-close"
              aria-label="Close"
              onClick={() => dialog.current?.close()}
            >
              ×
            </button>
          </div>
          <div className="eval-dialog-body">
            {created ? (
              <div className="notice notice-success" role="status" data-testid="dataset-created">
                <div className="notice-title">Saved</div>
                <Link to={`/datasets/${created.id}`} data-testid="dataset-created-link">
                  {created.name}
                </Link>{" "}
                · {plural(created.num_rows, "example")} ({created.num_train} train, {created.num_validation} validation,{" "}
                {created.num_test} test)
              </div>
            ) : (
              <>
                <p className="muted small">
                  Every example of “{datasetName}”, each in its split, with a reviewed answer’s correction as its
                  output. The original stays as it is.
                </p>
                <div className="eval-dialog-field">
                  <label htmlFor="make-dataset-name" className="review-label">
                    Name
                  </label>
                  <input
                    id="make-dataset-name"
                    className="input"
                    value={options.name}
                    maxLength={200}
                    onChange={(event) => update({ name: event.target.value })}
                    data-testid="make-dataset-name"
                  />
                </div>
                <Toggle
                  checked={options.useApproved}
                  onChange={(useApproved) => update({ useApproved })}
                  testId="make-dataset-approved"
                >
                  Answers reviewed as correct become the output
                </Toggle>
                <Toggle
                  checked={options.dropWrong}
                  onChange={(dropWrong) => update({ dropWrong })}
                  testId="make-dataset-drop-wrong"
                >
                  Leave out examples reviewed as wrong and not corrected
                </Toggle>
                {request.error ? <ErrorNotice error={request.error} title="Could not make the dataset" /> : null}
                {preview ? <Preview preview={preview} /> : null}
              </>
            )}
          </div>
          <div className="eval-dialog-footer">
            {created ? (
              <button type="button" className="btn" onClick={() => dialog.current?.close()}>
                Close
              </button>
            ) : (
              <>
                {preview ? (
                  <button type="button" className="btn" onClick={() => send(true)} disabled={request.isPending}>
                    Preview again
                  </button>
                ) : null}
                <button
                  type="submit"
                  className="btn btn-primary"
                  disabled={request.isPending || options.name.trim() === ""}
                  data-testid={preview ? "make-dataset-save" : "make-dataset-preview"}
                >
                  {request.isPending ? "Working…" : preview ? "Save dataset" : "Preview"}
                </button>
              </>
            )}
          </div>
        </form>
      </dialog>
    </>
  );
}
