/**
 * Which of several values is best: the lowest or the highest finite one (every one that ties it). Nothing when
 * neither way is better, or fewer than two values can be compared.
 */
export function bestIndices(values: readonly (number | null | undefined)[], higherIsBetter: boolean | null): Set<number> {
  const finite = values.flatMap((value, i) => (value !== null && value !== undefined && Number.isFinite(value) ? [{ value, i }] : []));
  if (higherIsBetter === null || finite.length < 2) return new Set();
  const best = higherIsBetter ? Math.max(...finite.map((f) => f.value)) : Math.min(...finite.map((f) => f.value));
  return new Set(finite.filter((f) => f.value === best).map((f) => f.i));
}
