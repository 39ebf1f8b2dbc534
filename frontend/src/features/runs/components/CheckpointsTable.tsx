import type { CheckpointOut } from "../../../client/types.gen";
import { formatBytes, formatLoss } from "../../../lib/format";

function Check({ on, label }: { on: boolean; label: string }) {
  return on ? <span className="check-mark" aria-label={label}>✓</span> : <span className="muted">—</span>;
}

/** Every checkpoint the run saved: its validation loss, which is best and final, and whether it is still on disk. */
export function CheckpointsTable({ checkpoints }: { checkpoints: CheckpointOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="checkpoints-table">
        <thead>
          <tr>
            <th className="num">Step</th>
            <th className="num">Validation loss</th>
            <th>Best</th>
            <th>Final</th>
            <th>On disk</th>
          </tr>
        </thead>
        <tbody>
          {checkpoints.map((checkpoint) => (
            <tr
              key={checkpoint.id}
              className={checkpoint.is_best ? "row-highlight" : undefined}
              data-testid="checkpoint-row"
              data-step={checkpoint.step}
            >
              <td className="num mono">{checkpoint.step}</td>
              <td className="num mono">{formatLoss(checkpoint.eval_loss)}</td>
              <td>
                <Check on={checkpoint.is_best} label="best" />
              </td>
              <td>
                <Check on={checkpoint.is_final} label="final" />
              </td>
              <td className="nowrap">
                {checkpoint.on_disk ? (
                  <span>{checkpoint.size_bytes !== null ? formatBytes(checkpoint.size_bytes) : "yes"}</span>
                ) : (
                  <span className="muted" title="deleted: only the last save_total_limit and the best are kept">
                    deleted
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
