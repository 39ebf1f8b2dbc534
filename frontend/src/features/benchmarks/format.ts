import type { MetricComparisonOut } from "../../client/types.gen";

export const METRIC_LABELS: Record<string, string> = {
  accuracy: "acc",
  accuracy_norm: "acc_norm",
};

export const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** "B. Rome": a choice with its letter. */
export function choiceText(choices: string[], index: number): string {
  return `${LETTERS[index] ?? "?"}. ${choices[index] ?? ""}`;
}

/** An accuracy (0–1) as a percentage with one decimal. */
export function formatAccuracy(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(1)}%`;
}

/** A difference of accuracies in percentage points: "+3.0 pts", "−1.5 pts" (a real minus sign). */
export function formatPoints(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = Math.abs(value * 100).toFixed(1);
  if (Number(text) === 0) return "0.0 pts";
  return `${value > 0 ? "+" : "−"}${text} pts`;
}

export function formatPointsInterval(metric: Pick<MetricComparisonOut, "ci_low" | "ci_high">): string {
  if (metric.ci_low === null || metric.ci_high === null) return "too few questions for an interval";
  return `95% CI ${formatPoints(metric.ci_low)} to ${formatPoints(metric.ci_high)}`;
}

export const VERDICTS: Record<MetricComparisonOut["verdict"], { text: string; tone: "better" | "worse" | "same" }> = {
  better: { text: "better", tone: "better" },
  worse: { text: "worse", tone: "worse" },
  no_clear_change: { text: "no clear change", tone: "same" },
  changed: { text: "changed", tone: "same" },
};
