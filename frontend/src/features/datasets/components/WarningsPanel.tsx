import { Link } from "react-router";
import type { DatasetOut } from "../../../client/types.gen";
import { formatNumber } from "../../../lib/format";

type Warning = DatasetOut["warnings"][number];

const TITLES: Record<string, string> = {
  duplicates: "Exact duplicates",
  near_duplicates: "Near duplicates",
  leakage: "Leakage into validation/test",
  label_imbalance: "Label imbalance",
};

/**
 * What the upload found that will not stop a run but may spoil it. Each warning lists its first rows;
 * a row opens the examples filtered to it.
 */
export function WarningsPanel({ warnings, onRow }: { warnings: Warning[]; onRow: (row: number) => void }) {
  if (warnings.length === 0) {
    return (
      <div className="warnings-none" data-testid="warnings-panel" data-count={0}>
        <span className="check" aria-hidden="true">
          ✓
        </span>
        No duplicates, no leakage between splits, no label imbalance found.
      </div>
    );
  }
  return (
    <ul className="warnings" data-testid="warnings-panel" data-count={warnings.length}>
      {warnings.map((warning) => (
        <li key={warning.code} className="warning" data-testid="warning" data-code={warning.code}>
          <div className="warning-head">
            <span className="warning-icon" aria-hidden="true">
              !
            </span>
            <span className="warning-title">{TITLES[warning.code] ?? warning.code}</span>
            <span className="warning-count" data-testid="warning-count">
              {formatNumber(warning.count)}
            </span>
          </div>
          <div className="warning-message">{warning.message}</div>
          {warning.action === "upload_grouped" ? (
            <div className="warning-action" style={{ marginTop: "0.5rem" }}>
              <Link to="/datasets?group_similar=1" className="btn btn-sm" data-testid="warning-fix">
                Upload again, keeping similar prompts in one split
              </Link>
            </div>
          ) : warning.action === "convert_again" ? (
            <div className="warning-action" style={{ marginTop: "0.5rem" }}>
              <Link to="/datasets/convert" className="btn btn-sm" data-testid="warning-fix">
                Convert the table again
              </Link>
            </div>
          ) : null}
          {warning.rows.length > 0 ? (
            <div className="warning-rows">
              <span className="muted small">rows</span>
              {warning.rows.map((row) => (
                <button
                  key={row}
                  type="button"
                  className="row-link"
                  onClick={() => onRow(row)}
                  data-testid="warning-row"
                  data-row={row}
                >
                  {row}
                </button>
              ))}
              {warning.count > warning.rows.length ? <span className="muted small">…</span> : null}
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
