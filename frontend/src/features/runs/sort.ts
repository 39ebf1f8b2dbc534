/** The fields GET /api/runs sorts by, and the direction a first click on each column asks for. */
export const SORT_FIELDS = {
  name: "asc",
  status: "asc",
  base_model: "asc",
  preset: "asc",
  best_val_loss: "asc",
  rouge_l: "desc",
  rouge_l_change: "desc",
  created_at: "desc",
  duration: "desc",
} as const;
export type SortField = keyof typeof SORT_FIELDS;
/** A sort as GET /api/runs takes it: the field, with "-" before it for descending. */
export type RunSort = SortField | `-${SortField}`;

export function parseSort(sort: string): { field: SortField; descending: boolean } {
  const field = sort.replace(/^-/, "");
  if (field in SORT_FIELDS) return { field: field as SortField, descending: sort.startsWith("-") };
  return { field: "created_at", descending: true };
}

/** Clicking the sorted column turns its direction; another column starts in its natural direction. */
export function nextSort(current: string, field: SortField): string {
  const { field: sorted, descending } = parseSort(current);
  const descend = sorted === field ? !descending : SORT_FIELDS[field] === "desc";
  return descend ? `-${field}` : field;
}
