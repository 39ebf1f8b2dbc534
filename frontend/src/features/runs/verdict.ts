import { relativeChange } from "../../lib/format";

/** Below this relative change of validation loss we claim neither better nor worse. */
export const NEUTRAL_BAND = 0.01;

export type Verdict = "better" | "worse" | "same";

export function verdictOf(base: number, value: number): Verdict {
  const change = relativeChange(base, value);
  if (Math.abs(change) < NEUTRAL_BAND) return "same";
  return change < 0 ? "better" : "worse";
}
