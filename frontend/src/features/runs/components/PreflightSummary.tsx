import type { RunOut } from "../../../client/types.gen";
import { formatMemory, formatDuration } from "../../../lib/format";
import { isActive } from "../api/queries";
import { preflightOf } from "../preflight";

/** "Pre-flight: 3 steps at 1.2 s/step, peak 450 MB → about 2m for 100 steps", or that it is still to come. */
export function PreflightSummary({ run }: { run: RunOut }) {
  const figures = preflightOf(run);
  if (!run.preflight && !figures) return null;
  if (!figures) {
    return (
      <div className="notice" data-testid="preflight-figures">
        <span className="notice-title">Pre-flight</span>{" "}
        {isActive(run.status)
          ? "3 steps of this configuration are measured before training: memory, seconds per step and an ETA appear here."
          : "No pre-flight figures were recorded."}
      </div>
    );
  }
  return (
    <div className="notice preflight" data-testid="preflight-figures">
      <span>
        <span className="notice-title">Pre-flight</span> measured {figures.steps} steps of this configuration:
      </span>
      <span className="preflight-figures">
        <span>
          <span className="mono" data-testid="preflight-seconds-per-step">{figures.secondsPerStep.toFixed(2)} s</span> per step
        </span>
        <span>
          peak <span className="mono" data-testid="preflight-peak">{formatMemory(figures.peakMemoryBytes)}</span>
        </span>
        <span>
          training ≈ <span className="mono" data-testid="preflight-eta">{formatDuration(figures.estimatedSeconds * 1000)}</span>{" "}
          for {figures.totalSteps} steps
        </span>
      </span>
    </div>
  );
}
