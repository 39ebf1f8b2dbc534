import type { DataTag, QueryClient, QueryKey } from "@tanstack/react-query";

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

/**
 * After a create or update: the response becomes the item's detail and its entry in the list, and the list is
 * marked stale without refetching now (it already holds the answer).
 */
export async function rememberItem<T extends { id: number }>(
  queryClient: QueryClient,
  item: T,
  keys: { detail: DataTag<QueryKey, T, unknown>; list: DataTag<QueryKey, Page<T>, unknown> },
): Promise<void> {
  queryClient.setQueryData(keys.detail, item);
  queryClient.setQueryData(keys.list, (page) => upsertItem(page, item));
  await queryClient.invalidateQueries({ queryKey: keys.list, refetchType: "none" });
}

/**
 * Append streamed items to a cached list, skipping any already there (ids only grow). Returns the same
 * object when nothing is new, so subscribers do not re-render.
 */
export function appendNew<T extends { id: number }>(page: Page<T> | undefined, batch: T[]): Page<T> | undefined {
  const items = page?.items ?? [];
  let lastId = items.at(-1)?.id ?? 0;
  const fresh: T[] = [];
  for (const item of batch) {
    if (item.id > lastId) {
      fresh.push(item);
      lastId = item.id;
    }
  }
  if (fresh.length === 0) return page;
  const merged = items.concat(fresh);
  return { items: merged, total: merged.length };
}
