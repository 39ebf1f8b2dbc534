/** A paginated list as every list endpoint returns it. */
export type Page<T> = { items: T[]; total: number };

/**
 * Put a created/updated item into a cached list (newest first) without waiting for a refetch.
 * Writing the mutation's own response is exact, and it does not depend on when the server's
 * transaction becomes visible to the next read.
 */
export function upsertItem<T extends { id: number }>(page: Page<T> | undefined, item: T): Page<T> | undefined {
  if (!page) return page;
  const index = page.items.findIndex((existing) => existing.id === item.id);
  if (index >= 0) {
    const items = page.items.slice();
    items[index] = item;
    return { ...page, items };
  }
  return { items: [item, ...page.items], total: page.total + 1 };
}
