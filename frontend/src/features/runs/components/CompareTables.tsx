import type { ComparedRunOut, DifferingParameterOut } from "../../../client/types.gen";
import { ComparedHeader, type ComparedColumn } from "../../../components/ui/ComparedColumns";
import { bestIndices } from "../../../lib/best";
import { formatLoss } from "../../../lib/format";

function formatSetting(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) || Math.abs(value) >= 0.01 ? String(value) : value.toExponential(1);
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(formatSetting).join(", ");
  return JSON.stringify(value);
}

const SETTING_LABELS: Record<string, string> = { dataset: "Dataset", base_model: "Base model", preset: "Preset" };

/** The settings whose values differ between the runs, and nothing else. */
export function DifferingTable({ columns, rows }: { columns: readonly ComparedColumn[]; rows: DifferingParameterOut[] }) {
  if (rows.length === 0) {
    return (
      <p className="muted" data-testid="compare-no-differences">
        These runs used the same dataset, base model, preset and hyperparameters.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table compare-table" data-testid="compare-differing">
        <ComparedHeader columns={columns} first="Setting" />
        <tbody>
          {rows.map((row) => (
            <tr key={row.name} data-testid="differing-row" data-name={row.name}>
              <th scope="row" className="mono">
                {SETTING_LABELS[row.name] ?? row.name}
              </th>
              {row.values.map((value, i) => (
                <td key={columns[i]?.id ?? i} className="num mono">
                  {formatSetting(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LOSS_ROWS = [
  { key: "final_eval_loss", label: "Final validation loss", best: true },
  { key: "best_eval_loss", label: "Best validation loss", best: true },
  { key: "base_eval_loss", label: "Base model", best: false },
] as const;

/** Final and best validation loss, the lowest of each row marked, with each run's base model's beneath. */
export function LossTable({ columns, runs }: { columns: readonly ComparedColumn[]; runs: ComparedRunOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table compare-table" data-testid="compare-losses">
        <ComparedHeader columns={columns} first="Validation loss" />
        <tbody>
          {LOSS_ROWS.map((row) => {
            const values = runs.map((run) => run[row.key]);
            const best = row.best ? bestIndices(values, false) : new Set<number>();
            return (
              <tr key={row.key} className={row.best ? undefined : "compare-base-row"} data-testid="loss-row" data-name={row.key}>
                <th scope="row">{row.label}</th>
                {values.map((value, i) => (
                  <td key={runs[i]?.id ?? i} className={best.has(i) ? "num mono compare-best" : "num mono"} data-best={best.has(i) || undefined}>
                    {formatLoss(value)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
