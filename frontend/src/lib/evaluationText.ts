// How an evaluation answered, in words: the evaluations and the reviews features both say it.
import type { EvaluationOut } from "../client/types.gen";

function numberOf(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** "greedy · up to 64 tokens", "sampling T 0.7 · top-p 0.9 · top-k 50 · seed 1 · up to 64 tokens · 2 stop strings". */
export function decodingSummary(decoding: EvaluationOut["decoding"]): string {
  const parts: string[] = [];
  if (decoding.strategy === "sampling") {
    parts.push(`sampling T ${String(numberOf(decoding.temperature) ?? 1)}`);
    const topP = numberOf(decoding.top_p);
    if (topP !== null && topP < 1) parts.push(`top-p ${topP}`);
    const topK = numberOf(decoding.top_k);
    if (topK !== null && topK > 0) parts.push(`top-k ${topK}`);
    parts.push(`seed ${numberOf(decoding.seed) ?? 0}`);
  } else {
    parts.push("greedy");
  }
  const maxNewTokens = numberOf(decoding.max_new_tokens);
  if (maxNewTokens !== null) parts.push(`up to ${maxNewTokens} tokens`);
  const penalty = numberOf(decoding.repetition_penalty);
  if (penalty !== null && penalty !== 1) parts.push(`repetition penalty ${penalty}`);
  const stop = Array.isArray(decoding.stop) ? decoding.stop.length : 0;
  if (stop > 0) parts.push(stop === 1 ? "1 stop string" : `${stop} stop strings`);
  return parts.join(" · ");
}

/** "test split", "whole dataset". */
export function splitLabel(split: EvaluationOut["split"]): string {
  return split === null ? "whole dataset" : `${split} split`;
}
