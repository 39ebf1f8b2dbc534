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
            <th>Run</th>
            <th>Status</th>
            <th>Base model</th>
            <th>Dataset</th>
            <th>Validation loss (base → fine-tuned)</th>
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
                <td>
                  <Link to={`/runs/${run.id}`} className="strong-link">
                    {run.name}
                  </Link>
                  <span className="muted id-suffix">#{run.id}</span>
                </td>
                <td>
                  <RunStatusBadge status={run.status} />
                </td>
                <td>
                  <span className="mono small">{run.base_model}</span>
                </td>
                <td>
                  <Link to={`/datasets/${run.dataset_id}`}>{dataset?.name ?? `#${run.dataset_id}`}</Link>
                </td>
                <td>
                  <LossDelta base={run.base_eval_loss} value={run.final_eval_loss} />
                </td>
                <td title={formatDateTime(run.created_at)}>{formatRelative(run.created_at)}</td>
                <td className="num">{duration(run)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
