import {
  type QueryClient,
  keepPreviousData,
  queryOptions,
  useMutation,
  useQueryClient,
} from "@tanstack/react-query";
import {
  cancelRun,
  cloneRun,
  compareRuns,
  deleteRun,
  resumeRun,
  createRun,
  estimateRun,
  getRun,
  listRunCheckpoints,
  listRunLogLines,
  listRunMetrics,
  listRuns,
  listPinnedAnswers,
  updateRun,
} from "../../../client/sdk.gen";
import type {
  EstimateRequest,
  ListRunsData,
  RunCreate,
  RunOut,
  RunStatus,
  RunUpdate,
} from "../../../client/types.gen";

export type RunListParams = NonNullable<ListRunsData["query"]>;

export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running"];

export function isActive(status: RunStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Every run query key and fetcher, defined once. Invalidate through `runQueries.all()` or a detail key. */
export const runQueries = {
  all: () => ["runs"] as const,
  lists: () => [...runQueries.all(), "list"] as const,
  /** A page of the runs list: filters, sort and page as GET /api/runs takes them. */
  list: (params: RunListParams = {}) =>
    queryOptions({
      queryKey: [...runQueries.lists(), params] as const,
      queryFn: async ({ signal }) => (await listRuns({ query: params, signal, throwOnError: true })).data,
      // The next page or filter keeps the current rows on screen until it arrives.
      placeholderData: keepPreviousData,
      // Keep statuses and progress fresh while something is queued or training.
      refetchInterval: (query) => (query.state.data?.items.some((run) => isActive(run.status)) ? 4000 : false),
    }),
  /** Runs side by side (GET /api/runs/compare); their curves come from each run's `metrics`. */
  compare: (ids: readonly number[]) =>
    queryOptions({
      queryKey: [...runQueries.all(), "compare", ids.join(",")] as const,
      queryFn: async ({ signal }) =>
        (await compareRuns({ query: { ids: ids.join(",") }, signal, throwOnError: true })).data,
    }),
  detailKey: (id: number) => [...runQueries.all(), "detail", id] as const,
  detail: (id: number) =>
    queryOptions({
      queryKey: runQueries.detailKey(id),
      queryFn: async ({ signal }) => (await getRun({ path: { run_id: id }, signal, throwOnError: true })).data,
      // The event stream keeps a live run current; this slow poll is only a safety net.
      refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 15_000 : false),
    }),
  /**
   * All metrics of a run. Live runs get new points from the event stream (useRunEvents writes them here),
   * so this never goes stale by itself; finishing a run invalidates it once.
   */
  metrics: (id: number) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(id), "metrics"] as const,
      queryFn: async ({ signal }) =>
        (await listRunMetrics({ path: { run_id: id }, signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
  /** The run's log; like metrics, live lines come from the event stream (useRunEvents appends them). */
  log: (id: number) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(id), "log"] as const,
      queryFn: async ({ signal }) => (await listRunLogLines({ path: { run_id: id }, signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
  checkpoints: (id: number) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(id), "checkpoints"] as const,
      queryFn: async ({ signal }) =>
        (await listRunCheckpoints({ path: { run_id: id }, signal, throwOnError: true })).data,
    }),
  /** The pinned validation examples' answers at each evaluation step; polled while the run trains. */
  pinnedAnswers: (id: number) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(id), "pinned-answers"] as const,
      queryFn: async ({ signal }) =>
        (await listPinnedAnswers({ path: { run_id: id }, signal, throwOnError: true })).data,
    }),
  /**
   * Peak memory and duration of a run before it exists, keyed by the whole request. The previous answer stays
   * on screen while the next one is computed; under "runs" so a finished run (a new throughput) refreshes it.
   */
  estimate: (request: EstimateRequest) =>
    queryOptions({
      queryKey: [...runQueries.all(), "estimate", request] as const,
      queryFn: async ({ signal }) => (await estimateRun({ body: request, signal, throwOnError: true })).data,
      placeholderData: keepPreviousData,
      staleTime: 60_000,
      // Until a worker has counted the dataset's tokens the estimate assumes max_seq_length: ask again.
      refetchInterval: (query) => (query.state.data?.token_lengths_pending ? 3000 : false),
    }),
};

/** After a change to a run: the response is its detail, and every cached page of the list is refetched. */
async function remember(queryClient: QueryClient, run: RunOut): Promise<void> {
  queryClient.setQueryData(runQueries.detail(run.id).queryKey, run);
  await queryClient.invalidateQueries({ queryKey: runQueries.lists() });
}

export function useCreateRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: RunCreate) => (await createRun({ body, throwOnError: true })).data,
    onSuccess: (run: RunOut) => remember(queryClient, run),
  });
}

export function useCancelRun(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => (await cancelRun({ path: { run_id: id }, throwOnError: true })).data,
    // The response is the run after cancelling; the event stream reports what follows.
    onSuccess: (run: RunOut) => remember(queryClient, run),
  });
}

/** Queue the run again with its exact resolved configuration, split, base model and preset snapshot. */
export function useCloneRun(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => (await cloneRun({ path: { run_id: id }, body: {}, throwOnError: true })).data,
    onSuccess: (run: RunOut) => remember(queryClient, run),
  });
}

/** Rename a run, or replace its tags or note. */
export function useUpdateRun(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: RunUpdate) =>
      (await updateRun({ path: { run_id: id }, body, throwOnError: true })).data,
    onSuccess: (run: RunOut) => remember(queryClient, run),
  });
}

/** Queue a failed or cancelled run again, to continue from its latest checkpoint still on disk. */
export function useResumeRun(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => (await resumeRun({ path: { run_id: id }, throwOnError: true })).data,
    onSuccess: (run: RunOut) => remember(queryClient, run),
  });
}

/** Delete the run with its files (a running one is cancelled first); `onDeleted` leaves its page. */
export function useDeleteRun(id: number, { onDeleted }: { onDeleted: () => void }) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      // The run page polls: a refetch landing after the delete would answer 404 and unmount it.
      await queryClient.cancelQueries({ queryKey: runQueries.detailKey(id) });
      await deleteRun({ path: { run_id: id }, throwOnError: true });
    },
    // Here rather than in mutate's callbacks: those are skipped when the page unmounted meanwhile (a poll's 404).
    onSuccess: async () => {
      onDeleted();
      queryClient.removeQueries({ queryKey: runQueries.detailKey(id) });
      await queryClient.invalidateQueries({ queryKey: runQueries.lists() });
    },
  });
}

/** What deleting several runs came to: the ids deleted, and each refusal with the API's reason. */
export type BulkDeleteResult = { deleted: number[]; failed: { id: number; reason: string }[] };

/** Delete runs one by one (DELETE /api/runs/{id} each): one refusal does not stop the others. */
export function useDeleteRuns() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: number[]): Promise<BulkDeleteResult> => {
      const result: BulkDeleteResult = { deleted: [], failed: [] };
      for (const id of ids) {
        try {
          await deleteRun({ path: { run_id: id }, throwOnError: true });
          result.deleted.push(id);
        } catch (error) {
          result.failed.push({ id, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      return result;
    },
    onSuccess: async ({ deleted }) => {
      for (const id of deleted) queryClient.removeQueries({ queryKey: runQueries.detailKey(id) });
      await queryClient.invalidateQueries({ queryKey: runQueries.all() });
    },
  });
}
