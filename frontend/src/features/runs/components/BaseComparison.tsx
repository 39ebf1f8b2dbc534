import type { RunOut } from "../../../client/types.gen";
import { formatLoss, formatPercent, relativeChange } from "../../../lib/format";
import { isActive } from "../api/queries";
import { verdictOf } from "../verdict";

const VERDICT_TEXT = {
  better: "lower than the base model — fine-tuning helped on held-out data",
  worse: "higher than the base model — fine-tuning made held-out loss worse",
  same: "about the same as the base model (within 1%)",
} as const;

/** "4-bit" or "8-bit": how a quantised method held the base weights it trained on. */
function quantisedWeights(run: RunOut): string {
  const quantization = run.environment?.quantization;
  if (quantization === "int8" || (quantization === undefined && run.config.method === "lora_8bit")) return "8-bit";
  return "4-bit";
}

/**
 * "Validation loss: base X → fine-tuned Y (−Z%)". A run is judged only against its base model as the user has it:
 * with a quantised method (`unquantised` set) step 0 of training is the re-quantised model's loss, so both are shown
 * and the change is measured against the unquantised one.
 * `latest` is the newest step>0 eval loss, used while the run has no final number yet.
 */
export function BaseComparison({
  run,
  base: start,
  unquantised,
  latest,
}: {
  run: RunOut;
  base: number | null;
  unquantised: number | null;
  latest: { step: number; value: number } | null;
}) {
  const base = unquantised ?? start;
  const final = run.final_eval_loss;
  const tuned = final ?? latest?.value ?? null;
  const provisional = final === null && latest !== null;

  if (base === null) {
    return (
      <div className="comparison comparison-pending" data-testid="loss-comparison">
        <div className="comparison-label">Validation loss vs base model</div>
        <div className="comparison-body muted">
          {isActive(run.status)
            ? "The base model's validation loss is measured before the first training step; the comparison appears then."
            : "The base model's validation loss was not measured, so this run cannot be compared with it."}
        </div>
      </div>
    );
  }

  const verdict = tuned === null ? null : verdictOf(base, tuned);
  return (
    <div className={`comparison${verdict ? ` comparison-${verdict}` : ""}`} data-testid="loss-comparison">
      <div className="comparison-label">Validation loss vs base model</div>
      <div className="comparison-values">
        <span className="comparison-metric">
          <span className="comparison-caption">{unquantised === null ? "base" : "base, unquantised"}</span>
          <span className="mono" data-testid="base-eval-loss">
            {formatLoss(base)}
          </span>
        </span>
        <span className="comparison-arrow" aria-hidden="true">
          →
        </span>
        <span className="comparison-metric">
          <span className="comparison-caption">{provisional ? `fine-tuned (step ${latest.step})` : "fine-tuned"}</span>
          <span className="mono" data-testid="final-eval-loss">
            {formatLoss(tuned)}
          </span>
        </span>
        {tuned !== null && verdict ? (
          <span className={`delta delta-${verdict} delta-large`} data-testid="eval-loss-delta">
            {formatPercent(relativeChange(base, tuned))}
          </span>
        ) : null}
      </div>
      {unquantised !== null ? (
        <div className="comparison-note" data-testid="base-losses">
          starting point of training ({quantisedWeights(run)}): <span className="mono">{formatLoss(start)}</span> ·
          your base model unquantised: <span className="mono">{formatLoss(unquantised)}</span>
        </div>
      ) : null}
      <div className="comparison-body">
        {tuned === null || verdict === null
          ? "Waiting for the first validation of the fine-tuned model."
          : `${provisional ? (isActive(run.status) ? "So far " : "Last measured before the run stopped: ") : ""}${VERDICT_TEXT[verdict]}.`}
      </div>
    </div>
  );
}
