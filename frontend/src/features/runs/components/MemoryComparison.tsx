import { useQuery } from "@tanstack/react-query";
import type { RunOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { formatMemory, formatPercent, relativeChange } from "../../../lib/format";
import { isActive, runQueries } from "../api/queries";
import { memoryLimits } from "../estimate";
import { preflightOf } from "../preflight";
import { MemoryBar, type MeasuredPeak } from "./MemoryBar";

function measuredPeakBytes(run: RunOut): number | null {
  const value = run.environment?.peak_memory_bytes;
  return typeof value === "number" && value > 0 ? value : null;
}

/**
 * The peak memory the estimator predicts for this run's resolved configuration (asked now, so it uses the
 * estimator and machine of today) next to the peak the worker measured while training, or in its pre-flight
 * until training has ended.
 */
export function MemoryComparison({ run }: { run: RunOut }) {
  const estimate = useQuery(
    runQueries.estimate({ dataset_id: run.dataset_id, base_model: run.base_model, hyperparameters: run.config }),
  );
  const measured = measuredPeakBytes(run);
  const preflight = preflightOf(run);
  const marker: MeasuredPeak | null =
    measured !== null
      ? { bytes: measured, label: "measured peak" }
      : preflight
        ? { bytes: preflight.peakMemoryBytes, label: "pre-flight peak" }
        : null;
  const device = typeof run.environment?.device === "string" ? run.environment.device : null;

  return (
    <Card
      title="Peak memory: estimate vs measured"
      testId="memory-comparison"
      actions={<span className="muted small">estimated now from this run's configuration</span>}
    >
      {estimate.isPending ? (
        <Loading label="Estimating…" />
      ) : estimate.isError ? (
        <ErrorNotice error={estimate.error} title="No estimate for this run's configuration" />
      ) : (
        <div className="estimate">
          <div className="estimate-headline" data-testid="memory-figures">
            Estimated <strong className="mono">{formatMemory(estimate.data.total_bytes)}</strong>
            <span className="muted">·</span>
            {preflight ? (
              <>
                pre-flight <strong className="mono">{formatMemory(preflight.peakMemoryBytes)}</strong>
                <span className="muted">·</span>
              </>
            ) : null}
            {measured !== null ? (
              <>
                measured <strong className="mono" data-testid="measured-peak">{formatMemory(measured)}</strong>
                <span className="delta delta-same" title="measured relative to the estimate">
                  {formatPercent(relativeChange(estimate.data.total_bytes, measured))}
                </span>
              </>
            ) : (
              <span className="muted">
                {isActive(run.status) ? "measured when training ends" : "no measured peak was recorded"}
              </span>
            )}
          </div>
          <MemoryBar
            breakdown={estimate.data.breakdown}
            total={estimate.data.total_bytes}
            limits={memoryLimits(estimate.data)}
            measured={marker}
          />
          <div className="muted small">
            The estimate is for {estimate.data.device}
            {estimate.data.compared_with.length === 0 ? " (no training worker is running now)" : ""}
            {device ? `; the run trained on ${device}` : ""}. The measured peak is{" "}
            {device === "cuda"
              ? "the largest GPU allocation during training."
              : "the training process's resident memory, sampled 20 times a second."}
          </div>
        </div>
      )}
    </Card>
  );
}
