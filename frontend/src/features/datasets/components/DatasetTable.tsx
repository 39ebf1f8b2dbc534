import { Link, useNavigate } from "react-router";
import type { DatasetOut } from "../../../client/types.gen";
import { formatDateTime, formatNumber, formatRelative } from "../../../lib/format";
import { useCanCreate } from "../../../lib/session";

export function DatasetTable({ datasets }: { datasets: DatasetOut[] }) {
  const navigate = useNavigate();
  // Reviewers launch no runs (the API says 403).
  const canCreate = useCanCreate();
  return (
    <div className="table-wrap">
      <table className="table table-clickable" data-testid="datasets-table">
        <thead>
          <tr>
            <th>Name</th>
            <th className="num">Rows</th>
            <th className="num">Train</th>
            <th className="num">Validation</th>
            <th className="num">Test</th>
            <th>Format</th>
            <th>Checks</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {datasets.map((dataset) => (
            <tr
              key={dataset.id}
              data-testid="dataset-row"
              data-dataset-id={dataset.id}
              onClick={(event) => {
                if ((event.target as HTMLElement).closest("a,button")) return;
                void navigate(`/datasets/${dataset.id}`);
              }}
            >
              <td>
                <Link to={`/datasets/${dataset.id}`} className="strong-link" data-testid="dataset-name">
                  {dataset.name}
                </Link>
                <span className="muted id-suffix">#{dataset.id}</span>
              </td>
              <td className="num">{formatNumber(dataset.num_rows)}</td>
              <td className="num">{formatNumber(dataset.num_train)}</td>
              <td className="num">{formatNumber(dataset.num_validation)}</td>
              <td className="num">{formatNumber(dataset.num_test)}</td>
              <td>
                <span className="tag">{dataset.format}</span> <span className="muted small">{dataset.shape.replace("_", "/")}</span>
              </td>
              <td>
                <Checks dataset={dataset} />
              </td>
              <td title={formatDateTime(dataset.created_at)}>{formatRelative(dataset.created_at)}</td>
              <td className="row-actions">
                {canCreate ? (
                  <Link to={`/runs/new?dataset=${dataset.id}`} className="btn btn-sm">
                    Fine-tune
                  </Link>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Warnings and dropped rows at a glance; the dataset page explains them. */
function Checks({ dataset }: { dataset: DatasetOut }) {
  const warnings = dataset.warnings.length;
  return (
    <span className="checks" data-testid="dataset-checks" data-warnings={warnings}>
      {warnings > 0 ? (
        <span className="check-badge check-warn" title={dataset.warnings.map((w) => w.message).join("\n")}>
          {warnings} {warnings === 1 ? "warning" : "warnings"}
        </span>
      ) : (
        <span className="check-badge check-ok">no warnings</span>
      )}
      {dataset.num_dropped > 0 ? (
        <span className="check-badge" title="Invalid rows left out at upload">
          {formatNumber(dataset.num_dropped)} dropped
        </span>
      ) : null}
    </span>
  );
}
