import type { RunOut } from "../../client/types.gen";

/** What the worker's pre-flight measured (Run.environment.preflight): a few real steps of the run's config. */
export type PreflightFigures = {
  steps: number;
  secondsPerStep: number;
  peakMemoryBytes: number;
  totalSteps: number;
  estimatedSeconds: number;
};

export function preflightOf(run: RunOut): PreflightFigures | null {
  const raw = run.environment?.preflight;
  if (typeof raw !== "object" || raw === null) return null;
  const figures = raw as Record<string, unknown>;
  const num = (key: string) => (typeof figures[key] === "number" ? figures[key] : null);
  const [steps, secondsPerStep, peakMemoryBytes, totalSteps, estimatedSeconds] = [
    "steps",
    "seconds_per_step",
    "peak_memory_bytes",
    "total_steps",
    "estimated_seconds",
  ].map(num);
  if (steps == null || secondsPerStep == null || peakMemoryBytes == null || totalSteps == null || estimatedSeconds == null) {
    return null;
  }
  return { steps, secondsPerStep, peakMemoryBytes, totalSteps, estimatedSeconds };
}

/** Training time left at the pre-flight's pace, from the last step reported. */
export function remainingSeconds(figures: PreflightFigures, lastStep: number): number {
  return Math.max(figures.totalSteps - lastStep, 0) * figures.secondsPerStep;
}
