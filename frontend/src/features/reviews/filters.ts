import type { EvaluationPredictionOut, ReviewOut } from "../../client/types.gen";
import { judgeVerdict, type Verdict } from "./format";

export type Show = "all" | "unreviewed" | Verdict | "judge_disagrees";

export type ExampleFilter = {
  show: Show;
  /** Only examples the reviewer gave this tag; "" for any. */
  tag: string;
  /** "" keeps the evaluation's order; a metric's name puts its lowest scores first. */
  lowestFirst: string;
  search: string;
};

export const NO_FILTER: ExampleFilter = { show: "all", tag: "", lowestFirst: "", search: "" };

export const SHOW_OPTIONS: { value: Show; label: string }[] = [
  { value: "all", label: "All examples" },
  { value: "unreviewed", label: "Not reviewed yet" },
  { value: "correct", label: "Correct" },
  { value: "partly", label: "Partly" },
  { value: "wrong", label: "Wrong" },
  { value: "judge_disagrees", label: "Judge disagrees" },
];

/** The judge's score read as a verdict differs from the reviewer's. */
export function judgeDisagrees(prediction: EvaluationPredictionOut, review: ReviewOut | undefined): boolean {
  const judged = judgeVerdict(prediction.scores.judge_score);
  return review !== undefined && judged !== null && judged !== review.verdict;
}

function matches(
  prediction: EvaluationPredictionOut,
  review: ReviewOut | undefined,
  filter: ExampleFilter,
  query: string,
): boolean {
  const { show, tag } = filter;
  if (show === "unreviewed" && review) return false;
  if ((show === "correct" || show === "partly" || show === "wrong") && review?.verdict !== show) return false;
  if (show === "judge_disagrees" && !judgeDisagrees(prediction, review)) return false;
  if (tag && !review?.tags.includes(tag)) return false;
  if (!query) return true;
  const texts = [prediction.instruction, prediction.input, prediction.expected, prediction.generated];
  if (review) texts.push(review.note, review.corrected_answer ?? "", ...review.tags);
  return texts.some((text) => text.toLowerCase().includes(query));
}

/**
 * The examples to go through, in order. The one on screen (`keep`) stays in the list even once it no longer
 * matches (graded while showing the unreviewed ones), so that "next" goes on from where it is.
 */
export function visibleExamples(
  predictions: EvaluationPredictionOut[],
  reviews: ReadonlyMap<number, ReviewOut>,
  filter: ExampleFilter,
  keep: number | null,
): EvaluationPredictionOut[] {
  const query = filter.search.trim().toLowerCase();
  const shown = predictions.filter(
    (p) => p.example_id === keep || matches(p, reviews.get(p.example_id), filter, query),
  );
  const metric = filter.lowestFirst;
  if (!metric) return shown;
  // Examples without the metric (an answer not judged) go last.
  const value = (p: EvaluationPredictionOut) => p.scores[metric] ?? Infinity;
  return shown.sort((a, b) => value(a) - value(b) || a.example_id - b.example_id);
}
