/** The upload's Options area as data: shapes, split shares as typed, accepted files. */
import type { Shape, UploadOptions } from "./api/queries";

export const SHAPE_LABELS: Record<Shape, string> = {
  auto: "Auto-detect",
  alpaca: "Alpaca (instruction / input / output)",
  prompt_completion: "Prompt / completion",
  chat: "Chat (messages)",
};

/** What the user typed in the three percentage boxes, kept as text so half-typed values survive. */
export type SplitDraft = { train: string; validation: string; test: string; seed: string };

export const DEFAULT_SPLIT_DRAFT: SplitDraft = { train: "85", validation: "5", test: "10", seed: "42" };

/** The ratios as fractions, or why they cannot be used. */
export function parseSplitDraft(
  draft: SplitDraft,
): { ok: true; ratios: UploadOptions["ratios"]; seed: number } | { ok: false; error: string } {
  const values = [draft.train, draft.validation, draft.test].map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isFinite(v) || v < 0 || v > 100)) {
    return { ok: false, error: "Each share must be a number from 0 to 100." };
  }
  const [train = 0, validation = 0, test = 0] = values;
  const sum = train + validation + test;
  if (Math.abs(sum - 100) > 0.001) {
    return { ok: false, error: `The shares add up to ${Number(sum.toFixed(2))}%, not 100%.` };
  }
  if (train <= 0) return { ok: false, error: "The train share must be above 0%." };
  const seed = Number(draft.seed.trim());
  if (!Number.isInteger(seed) || draft.seed.trim() === "") return { ok: false, error: "The seed must be a whole number." };
  return { ok: true, ratios: { train: train / 100, validation: validation / 100, test: test / 100 }, seed };
}

export const ACCEPT =
  ".jsonl,.json,.ndjson,.csv,.tsv,.parquet,application/json,application/x-ndjson,text/csv,text/tab-separated-values,text/plain";
