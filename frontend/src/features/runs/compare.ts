/** The compare page's selection and colours, shared by the runs list, the run page and the compare page. */

/** As GET /api/runs/compare takes them. */
export const MIN_COMPARED = 2;
export const MAX_COMPARED = 6;

/** One design token per compared run, in the order of the selection. */
export const COMPARE_COLORS = ["--compare-1", "--compare-2", "--compare-3", "--compare-4", "--compare-5", "--compare-6"] as const;

export function compareColor(index: number): string {
  return COMPARE_COLORS[index % COMPARE_COLORS.length] ?? "--compare-1";
}

/** The compare page of these runs, in this order. */
export function compareUrl(ids: readonly number[]): string {
  return `/runs/compare?ids=${ids.join(",")}`;
}

/** `?ids=3,1,2` as run ids: positive integers, each once, in the order given. */
export function parseCompareIds(raw: string | null): number[] {
  const ids = (raw ?? "")
    .split(",")
    .map((part) => Number(part.trim()))
    .filter((id) => Number.isInteger(id) && id > 0);
  return [...new Set(ids)];
}
