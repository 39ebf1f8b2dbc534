import { formatLoss, formatPercent, relativeChange } from "../../../lib/format";
import { verdictOf } from "../verdict";

/** "2.314 → 1.872 (−19.1%)": the fine-tuned validation loss, always next to the base model's. */
export function LossDelta({ base, value }: { base: number | null; value: number | null }) {
  if (value === null && base === null) return <span className="muted">—</span>;
  if (base === null || value === null) {
    return (
      <span className="loss-delta">
        <span className="mono">{formatLoss(base)}</span>
        <span className="muted"> → </span>
        <span className="mono">{formatLoss(value)}</span>
      </span>
    );
  }
  const verdict = verdictOf(base, value);
  return (
    <span className="loss-delta" title="validation loss: base model → fine-tuned">
      <span className="mono">{formatLoss(base)}</span>
      <span className="muted"> → </span>
      <span className="mono">{formatLoss(value)}</span>{" "}
      <span className={`delta delta-${verdict}`}>{formatPercent(relativeChange(base, value))}</span>
    </span>
  );
}
