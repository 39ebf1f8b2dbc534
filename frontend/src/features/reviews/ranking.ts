import type { BlindComparisonOut } from "../../client/types.gen";

/** The API ranks at most this many evaluations at once. */
export const MAX_RANKED = 20;

/**
 * The evaluations linked to `start` through comparisons (either side), nearest first: whoever was voted on against
 * it, then against those, and so on, at most MAX_RANKED. A ranking between them rests on connected votes only.
 */
export function connectedEvaluations(comparisons: readonly BlindComparisonOut[], start: number): number[] {
  const seen = [start];
  for (let index = 0; index < seen.length && seen.length < MAX_RANKED; index++) {
    const current = seen[index];
    for (const c of comparisons) {
      const other = c.evaluation_a === current ? c.evaluation_b : c.evaluation_b === current ? c.evaluation_a : null;
      if (other !== null && !seen.includes(other) && seen.length < MAX_RANKED) seen.push(other);
    }
  }
  return seen;
}
