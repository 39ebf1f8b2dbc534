import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import {
  cancelRun,
  createRun,
  getHyperparameterSchema,
  getRun,
  listBaseModels,
  listPresets,
  listRunMetrics,
  listRunPredictions,
  listRuns,
} from "../../../client/sdk.gen";
import type { RunCreate, RunOut, RunStatus } from "../../../client/types.gen";
import { upsertItem } from "../../../lib/cache";
import { parseHyperparameterSchema } from "./hyperparameters";

export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running"];

export function isActive(status: RunStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Every run query key and fetcher, defined once. Invalidate through `runQueries.all()` or a detail key. */
export const runQueries = {
  all: () => ["runs"] as const,
  list: () =>
    queryOptions({
      queryKey: [...runQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listRuns({ signal, throwOnError: true })).data,
      // Keep statuses fresh while something is queued or training.
      refetchInterval: (query) => (query.state.data?.items.some((run) => isActive(run.status)) ? 4000 : false),
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
  predictions: (id: number) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(id), "predictions"] as const,
      queryFn: async ({ signal }) =>
        (await listRunPredictions({ path: { run_id: id }, signal, throwOnError: true })).data,
    }),
};

/** What a new run can be built from: base models, presets and the hyperparameter schema. */
export const catalogQueries = {
  models: () =>
    queryOptions({
      queryKey: ["models"] as const,
      queryFn: async ({ signal }) => (await listBaseModels({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
  presets: () =>
    queryOptions({
      queryKey: ["presets"] as const,
      queryFn: async ({ signal }) => (await listPresets({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
  hyperparameters: () =>
    queryOptions({
      queryKey: ["hyperparameters"] as const,
      queryFn: async ({ signal }) =>
        parseHyperparameterSchema((await getHyperparameterSchema({ signal, throwOnError: true })).data),
      staleTime: Infinity,
    }),
};

export function useCreateRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: RunCreate) => (await createRun({ body, throwOnError: true })).data,
    onSuccess: async (run: RunOut) => {
      queryClient.setQueryData(runQueries.detail(run.id).queryKey, run);
      queryClient.setQueryData(runQueries.list().queryKey, (page) => upsertItem(page, run));
      await queryClient.invalidateQueries({ queryKey: runQueries.list().queryKey, refetchType: "none" });
    },
  });
}

export function useCancelRun(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => (await cancelRun({ path: { run_id: id }, throwOnError: true })).data,
    onSuccess: async (run: RunOut) => {
      // The response is the run after cancelling; the event stream reports what follows.
      queryClient.setQueryData(runQueries.detail(id).queryKey, run);
      queryClient.setQueryData(runQueries.list().queryKey, (page) => upsertItem(page, run));
      await queryClient.invalidateQueries({ queryKey: runQueries.list().queryKey, refetchType: "none" });
    },
  });
}
