import { formatNumber } from "../../../lib/format";

/** Class balance as horizontal bars, largest first: imbalance is visible before any run. */
export function LabelChart({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const max = entries[0]?.[1] ?? 1;
  return (
    <div className="label-chart" data-testid="label-chart">
      {entries.map(([label, count]) => (
        <div className="label-bar" key={label} data-testid="label-bar" data-label={label} data-count={count}>
          <span className="label-name truncate" title={label}>
            {label}
          </span>
          <span className="label-track">
            <span className="label-fill" style={{ width: `${(count / max) * 100}%` }} />
          </span>
          <span className="label-count">
            {formatNumber(count)}
            <span className="muted"> · {total > 0 ? ((count / total) * 100).toFixed(0) : 0}%</span>
          </span>
        </div>
      ))}
    </div>
  );
}
