import type { ReactNode } from "react";
import { plural } from "../../../lib/format";
import { useDeleteRuns } from "../api/queries";

/**
 * The runs list's actions on its selected runs: "Delete (n)…" with one confirmation naming the count, then a
 * report of the runs the API refused. `children`: other actions on the same selection.
 */
export function BulkDeleteRuns({
  selected,
  onDeleted,
  children,
}: {
  selected: number[];
  onDeleted: (ids: number[]) => void;
  children?: ReactNode;
}) {
  const remove = useDeleteRuns();
  const failed = remove.data?.failed ?? [];
  if (selected.length === 0 && failed.length === 0) return null;

  const onDelete = () => {
    const count = plural(selected.length, "run");
    if (!window.confirm(`Delete ${count} with their metrics, evaluations, reviews and files? Running ones are cancelled first.`))
      return;
    remove.mutate(selected, { onSuccess: ({ deleted }) => onDeleted(deleted) });
  };

  return (
    <div className="runs-bulk" data-testid="runs-bulk">
      {selected.length > 0 ? (
        <div className="runs-bulk-bar">
          <span className="muted small" data-testid="runs-selected-count">
            {plural(selected.length, "run")} selected
          </span>
          {children}
          <button
            type="button"
            className="btn btn-sm btn-danger"
            onClick={onDelete}
            disabled={remove.isPending}
            data-testid="delete-selected-runs"
          >
            {remove.isPending ? "Deleting…" : `Delete (${selected.length})…`}
          </button>
        </div>
      ) : null}
      {failed.length > 0 ? (
        <div className="notice notice-error" role="alert" data-testid="bulk-delete-failed">
          <div className="notice-title">
            {plural(failed.length, "run")} not deleted
            {remove.data?.deleted.length ? ` (${plural(remove.data.deleted.length, "run")} deleted)` : ""}
          </div>
          <ul className="notice-list">
            {failed.map(({ id, reason }) => (
              <li key={id}>
                Run #{id}: {reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
