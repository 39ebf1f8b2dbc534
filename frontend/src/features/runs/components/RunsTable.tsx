import { Link, useNavigate } from "react-router";
import type { DatasetOut, RunOut } from "../../../client/types.gen";
import { formatDateTime, formatDuration, formatRelative, parseApiDate } from "../../../lib/format";
import { LossDelta } from "./LossDelta";
import { RunStatusBadge } from "./RunStatusBadge";

function duration(run: RunOut): string {
  if (!run.started_at) return "—";
  const end = run.finished_at ? parseApiDate(run.finished_at).getTime() : Date.now();
  return formatDuration(end - parseApiDate(run.started_at).getTime());
}

export function RunsTable({ runs, datasets }: { runs: RunOut[]; datasets: Map<number, DatasetOut> }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table table-clickable" data-testid="runs-table">
        <thead>
          <tr>
            <th>Run / dataset</th>
            <th>Status</th>
            <th>Base model</th>
            <th title="Validation loss of the base model → of the fine-tuned model">Val loss: base → tuned</th>
            <th>Created</th>
            <th className="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const dataset = datasets.get(run.dataset_id);
            return (
              <tr
                key={run.id}
                data-testid="run-row"
                data-run-id={run.id}
                onClick={(event) => {
                  if ((event.target as HTMLElement).closest("a,button")) return;
                  void navigate(`/runs/${run.id}`);
                }}
              >
                <td className="cell-run">
                  <div className="truncate" title={run.name}>
                    <Link to={`/runs/${run.id}`} className="strong-link">
                      {run.name}
                    </Link>
                    <span className="muted id-suffix">#{run.id}</span>
                  </div>
                  <div className="truncate small" title={dataset?.name}>
                    <Link to={`/datasets/${run.dataset_id}`} className="muted-link" data-testid="run-row-dataset">
                      {dataset?.name ?? `dataset #${run.dataset_id}`}
                    </Link>
                  </div>
                </td>
                <td className="nowrap">
                  <RunStatusBadge status={run.status} testId="run-row-status" />
                </td>
                <td className="nowrap">
                  <span className="mono small">{run.base_model}</span>
                </td>
                <td className="nowrap">
                  <LossDelta base={run.unquantised_base_eval_loss ?? run.base_eval_loss} value={run.final_eval_loss} />
                </td>
                <td className="nowrap" title={formatDateTime(run.created_at)}>
                  {formatRelative(run.created_at)}
                </td>
                <td className="num nowrap">{duration(run)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
