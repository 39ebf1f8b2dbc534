import type { EstimateOut } from "../../client/types.gen";

/** A memory the estimate is drawn against: a worker's (or several with the same memory), or this machine's. */
export type MemoryLimit = { bytes: number; label: string };

/**
 * The lines on the memory bar: each distinct memory among the training workers on the estimate's device (a run
 * goes to whichever is free), or this machine's when no training worker is running. Smallest first.
 */
export function memoryLimits(estimate: EstimateOut): MemoryLimit[] {
  const workers = estimate.compared_with.filter((worker) => worker.device === estimate.device);
  if (workers.length === 0) return [{ bytes: estimate.available_bytes, label: "this machine" }];
  const hosts = new Map<number, string[]>();
  for (const worker of workers) hosts.set(worker.memory_bytes, [...(hosts.get(worker.memory_bytes) ?? []), worker.hostname]);
  return [...hosts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bytes, names]) => ({ bytes, label: names.length === 1 ? (names[0] ?? "") : `${names.length} workers` }));
}

export const VERDICTS: Record<EstimateOut["verdict"], { badge: string; text: string; title: string }> = {
  fits: { badge: "badge-succeeded", text: "fits", title: "Fits" },
  tight: { badge: "badge-cancelled", text: "tight", title: "May not fit" },
  some_too_small: { badge: "badge-cancelled", text: "too big for some", title: "Too big for some workers" },
  wont_fit: { badge: "badge-failed", text: "won't fit", title: "Will not fit" },
};

/** The warning without the words the verdict's title already says ("will not fit: needs…" → "needs…"). */
export function warningText(warning: string): string {
  return warning.replace(/^(will|may) not fit(: | (?=on ))/, "");
}
