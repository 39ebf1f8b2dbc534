import type { EvaluationOut, ReviewOut, ReviewSummaryOut, RunOut } from "../../client/types.gen";

export type Verdict = ReviewOut["verdict"];

/** In the order of their keys: 1 correct, 2 partly, 3 wrong. */
export const VERDICTS: { value: Verdict; label: string; key: string }[] = [
  { value: "correct", label: "Correct", key: "1" },
  { value: "partly", label: "Partly", key: "2" },
  { value: "wrong", label: "Wrong", key: "3" },
];

/** Offered as the tag field's suggestions, besides the tags already used on this evaluation. */
export const SUGGESTED_TAGS = ["hallucination", "wrong format", "incomplete", "refused", "unsafe"];

/** The API's limits on a tag (1–40 characters) and on how many one review has. */
export const MAX_TAG_LENGTH = 40;
export const MAX_TAGS = 10;

/**
 * The judge's 0–1 score read as a verdict, as the API's judge agreement reads it: 0.7 and up correct, 0.4 and up
 * partly, else wrong.
 */
export function judgeVerdict(score: number | null | undefined): Verdict | null {
  if (score === null || score === undefined) return null;
  return score >= 0.7 ? "correct" : score >= 0.4 ? "partly" : "wrong";
}

export function verdictLabel(verdict: Verdict): string {
  return VERDICTS.find((v) => v.value === verdict)?.label ?? verdict;
}

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/** "62% (95% CI 48–74%)", or "—" when there is nothing to share yet. */
export function formatShare(share: { value: number; ci_low: number; ci_high: number } | null | undefined): string {
  if (!share) return "—";
  return `${percent(share.value)} (95% CI ${percent(share.ci_low)}–${percent(share.ci_high)})`;
}

/** Agreement statistics with two decimals, a real minus sign below zero. */
export function formatStatistic(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value < 0 ? `−${Math.abs(value).toFixed(2)}` : value.toFixed(2);
}

/** What answered, in words: "fine-tuned model", "fine-tuned model at step 30", "base model". */
export function answeredBy(evaluation: Pick<EvaluationOut, "model" | "checkpoint_step">): string {
  if (evaluation.model === "base") return "base model";
  return evaluation.checkpoint_step === null ? "fine-tuned model" : `fine-tuned model at step ${evaluation.checkpoint_step}`;
}

const METRIC_LABELS: Record<string, string> = {
  exact_match: "Exact match",
  token_f1: "Token F1",
  rouge_l: "ROUGE-L",
  chrf: "chrF",
  bleu: "BLEU",
  answer_length: "Answer length (words)",
  judge_score: "Judge score",
};

export function metricLabel(name: string): string {
  return METRIC_LABELS[name] ?? name.replaceAll("_", " ");
}

/** The controls the shortcuts focus: t, n, e and s. */
export const FIELD_IDS = {
  tag: "review-tag-input",
  note: "review-note",
  corrected: "review-corrected",
  score: "review-score",
} as const;

/** One line for the run page: "12 of 20 reviewed · 67% correct (95% CI 42–85%)". */
export function summaryLine(summary: ReviewSummaryOut): string {
  const reviewed = `${summary.reviewed} of ${summary.examples} reviewed`;
  return summary.share_correct ? `${reviewed} · ${formatShare(summary.share_correct)} correct` : reviewed;
}

/** What the pages pass for naming a run's evaluations. */
export type RunLabel = Pick<RunOut, "id" | "name" | "base_model">;

/**
 * Which model answered, told apart from other evaluations of the same examples: "run #3 “lr 2e-4”, fine-tuned (step
 * 40)", "base model SmolLM2-135M (run #3 “lr 2e-4”)", "evaluation #7, no run".
 */
export function answerSource(
  evaluation: Pick<EvaluationOut, "id" | "run_id" | "model" | "checkpoint_step">,
  runs: readonly RunLabel[],
): string {
  if (evaluation.run_id === null) return `evaluation #${evaluation.id}, no run`;
  const run = runs.find((r) => r.id === evaluation.run_id);
  const named = run ? `run #${run.id} “${run.name}”` : `run #${evaluation.run_id}`;
  if (evaluation.model === "base") return run ? `base model ${run.base_model} (${named})` : `base model (${named})`;
  const step = evaluation.checkpoint_step === null ? "" : ` (step ${evaluation.checkpoint_step})`;
  return `${named}, fine-tuned${step}`;
}

/** Whether a person can grade the evaluation's answers: generated ones, all of them in. */
export function isReviewable(evaluation: Pick<EvaluationOut, "kind" | "status">): boolean {
  return evaluation.kind === "generation" && evaluation.status === "succeeded";
}
