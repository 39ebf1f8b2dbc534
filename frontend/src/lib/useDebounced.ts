import { useEffect, useState } from "react";

/** `value`, but only once it has stopped changing for `ms` (search boxes, number fields that refetch). */
export function useDebounced<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * What a debounced text box should report, or null: the settled text when the draft still holds it and it differs from
 * the current value. A settled text the draft has since left (Clear pressed as the timer fired) would undo Clear.
 */
export function settledEdit(settled: string, draft: string, value: string): string | null {
  if (settled !== draft) return null;
  const edit = settled.trim();
  return edit === value ? null : edit;
}
