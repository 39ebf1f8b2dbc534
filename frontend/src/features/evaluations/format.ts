import type { EvaluationOut, MetricComparisonOut } from "../../client/types.gen";

const LABELS: Record<string, string> = {
  exact_match: "Exact match",
  token_f1: "Token F1",
  rouge_l: "ROUGE-L",
  chrf: "chrF",
  bleu: "BLEU",
  answer_length: "Answer length",
  accuracy: "Accuracy",
  judge_score: "Judge score",
};

/** The metric the headline and the table start from: the one the studio reads first for free-text answers. */
export const HEADLINE_METRIC = "rouge_l";

export function metricLabel(name: string): string {
  return LABELS[name] ?? name.replaceAll("_", " ");
}

/** Scores in 0–1 with two decimals (three below 0.01, so a small change does not read as 0.00); lengths in words. */
export function formatScore(value: number | null | undefined, name = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (name === "answer_length") return value.toFixed(1);
  const abs = Math.abs(value);
  return value.toFixed(abs !== 0 && abs < 0.01 ? 3 : 2);
}

/** "+0.15", "−0.03" (a real minus sign), "0.00". */
export function formatSigned(value: number | null | undefined, name = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = formatScore(Math.abs(value), name);
  if (Number(text) === 0) return text;
  return `${value > 0 ? "+" : "−"}${text}`;
}

/** "95% CI +0.08 to +0.22", or why there is none. */
export function formatInterval(metric: Pick<MetricComparisonOut, "ci_low" | "ci_high" | "name">): string {
  if (metric.ci_low === null || metric.ci_high === null) return "too few examples for an interval";
  return `95% CI ${formatSigned(metric.ci_low, metric.name)} to ${formatSigned(metric.ci_high, metric.name)}`;
}

export const VERDICT_TEXT: Record<MetricComparisonOut["verdict"], string> = {
  better: "better",
  worse: "worse",
  no_clear_change: "no clear change",
  changed: "changed",
};

/** The badge's colour: better/worse as the loss deltas; the rest neutral. */
export function verdictTone(verdict: MetricComparisonOut["verdict"]): "better" | "worse" | "same" {
  return verdict === "better" || verdict === "worse" ? verdict : "same";
}

const SECTION = /^###\s*([^:\n]+):[ \t]*$/gm;

/**
 * The part of a rendered training prompt a person wrote: the Alpaca template's "### Instruction:" and "### Input:"
 * sections (the last of each), or the last user turn of a ChatML prompt; else the prompt itself, trimmed.
 */
export function compactPrompt(prompt: string): string {
  const sections = new Map<string, string>();
  const marks = [...prompt.matchAll(SECTION)];
  marks.forEach((mark, index) => {
    const start = mark.index + mark[0].length;
    const end = marks[index + 1]?.index ?? prompt.length;
    const title = (mark[1] ?? "").trim().toLowerCase();
    sections.set(title, prompt.slice(start, end).trim());
  });
  const parts = [sections.get("instruction"), sections.get("input")].filter((part): part is string => !!part);
  if (parts.length > 0) return parts.join("\n\n");
  const userTurns = [...prompt.matchAll(/<\|im_start\|>user\s*\n([\s\S]*?)(?:<\|im_end\|>|$)/g)];
  const lastUser = userTurns.at(-1)?.[1]?.trim();
  if (lastUser) return lastUser;
  return prompt.trim();
}

/** A track half-width that fits every interval given, with a margin (never zero). */
export function intervalExtent(metrics: MetricComparisonOut[]): number {
  const reach = metrics.flatMap((m) => [m.difference, m.ci_low, m.ci_high]).map((v) => Math.abs(v ?? 0));
  return Math.max(...reach, 1e-3) * 1.15;
}

/** What answered: "Fine-tuned, final weights", "Fine-tuned, step 30", "Base model". */
export function sourceLabel(evaluation: Pick<EvaluationOut, "model" | "checkpoint_step">): string {
  if (evaluation.model === "base") return "Base model";
  return evaluation.checkpoint_step === null ? "Fine-tuned, final weights" : `Fine-tuned, step ${evaluation.checkpoint_step}`;
}

/** A short name that tells a run's evaluations apart: "#12 fine-tuned (step 30)". */
export function evaluationLabel(evaluation: EvaluationOut): string {
  const source =
    evaluation.model === "base"
      ? "base model"
      : evaluation.checkpoint_step === null
        ? "fine-tuned"
        : `fine-tuned (step ${evaluation.checkpoint_step})`;
  return `#${evaluation.id} ${source}`;
}
