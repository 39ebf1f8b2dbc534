import { useQuery } from "@tanstack/react-query";
import { useRef, useState, type SubmitEvent } from "react";
import { useNavigate } from "react-router";
import type { RunOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { formatLoss } from "../../../lib/format";
import { runQueries } from "../api/queries";
import { MAX_COMPARED, compareUrl } from "../compare";
import { RunStatusBadge } from "./RunStatusBadge";

/** "Compare with…": tick other runs on the same dataset (up to five), then open the compare page with this one first. */
export function CompareWithDialog({ run }: { run: RunOut }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [opened, setOpened] = useState(false);
  const [picked, setPicked] = useState<number[]>([]);
  const navigate = useNavigate();
  const others = useQuery({ ...runQueries.list({ dataset_id: run.dataset_id, limit: 50 }), enabled: opened });
  const candidates = (others.data?.items ?? []).filter((other) => other.id !== run.id);
  const full = picked.length >= MAX_COMPARED - 1;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (picked.length > 0) void navigate(compareUrl([run.id, ...picked]));
  };

  return (
    <>
      <button
        type="button"
        className="btn"
        onClick={() => {
          setOpened(true);
          dialog.current?.showModal();
        }}
        data-testid="compare-with-open"
      >
        Compare with…
      </button>
      <dialog ref={dialog} className="eval-dialog" aria-labelledby="compare-with-title" data-testid="compare-with-dialog">
        <form className="eval-dialog-form" onSubmit={submit} noValidate>
          <div className="eval-dialog-header">
            <h2 id="compare-with-title" className="eval-dialog-title">
              Compare with other runs on this dataset
            </h2>
            <button type="button" className="eval-dialog-close" aria-label="Close" onClick={() => dialog.current?.close()}>
              ×
            </button>
          </div>
          <div className="eval-dialog-body">
            {others.isPending ? (
              <Loading />
            ) : others.isError ? (
              <ErrorNotice error={others.error} title="Could not load the runs" />
            ) : candidates.length === 0 ? (
              <p className="muted small">No other run trained on this dataset yet.</p>
            ) : (
              <fieldset className="eval-fieldset">
                <legend>Up to {MAX_COMPARED - 1} runs, newest first</legend>
                <div className="ab-options">
                  {candidates.map((other) => {
                    const checked = picked.includes(other.id);
                    return (
                      <label key={other.id} className="ab-option" data-testid="compare-with-option">
                        <input
                          type="checkbox"
                          checked={checked}
                          disabled={!checked && full}
                          onChange={(event) =>
                            setPicked((current) =>
                              event.target.checked ? [...current, other.id] : current.filter((id) => id !== other.id),
                            )
                          }
                        />
                        <span className="ab-option-text">
                          <span className="ab-option-name" dir="auto">
                            {other.name} <span className="muted">#{other.id}</span>
                          </span>
                          <span className="muted small">
                            <RunStatusBadge status={other.status} /> {other.base_model} · best val loss{" "}
                            {formatLoss(other.best_eval_loss)}
                          </span>
                        </span>
                      </label>
                    );
                  })}
                </div>
              </fieldset>
            )}
          </div>
          <div className="eval-dialog-footer">
            <button type="button" className="btn" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={picked.length === 0} data-testid="compare-with-start">
              Compare {picked.length + 1} runs
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
