import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { getDataset, listDatasetExamples, listDatasets, uploadDataset } from "../../../client/sdk.gen";
import type { DatasetOut, Split } from "../../../client/types.gen";
import { progressFetch } from "../../../lib/api";
import { upsertItem } from "../../../lib/cache";

export type ExamplesParams = { split: Split | null; offset: number; limit: number };

/** Every dataset query key and fetcher, defined once. Invalidate through `datasetQueries.all()`. */
export const datasetQueries = {
  all: () => ["datasets"] as const,
  list: () =>
    queryOptions({
      queryKey: [...datasetQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listDatasets({ signal, throwOnError: true })).data,
    }),
  detail: (id: number) =>
    queryOptions({
      queryKey: [...datasetQueries.all(), "detail", id] as const,
      queryFn: async ({ signal }) =>
        (await getDataset({ path: { dataset_id: id }, signal, throwOnError: true })).data,
    }),
  examples: (id: number, params: ExamplesParams) =>
    queryOptions({
      queryKey: [...datasetQueries.all(), "detail", id, "examples", params] as const,
      queryFn: async ({ signal }) =>
        (
          await listDatasetExamples({
            path: { dataset_id: id },
            query: { split: params.split, offset: params.offset, limit: params.limit },
            signal,
            throwOnError: true,
          })
        ).data,
      placeholderData: keepPreviousData,
    }),
};

export type UploadVariables = {
  file: File;
  name?: string;
  /** Called with bytes sent so far and the total (0 when unknown). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
};

/** Upload through the generated client; XMLHttpRequest underneath only so progress can be reported. */
export async function uploadDatasetWithProgress({ file, name, onProgress, signal }: UploadVariables) {
  const body = { file, name: name?.trim() ? name.trim() : null };
  const form = new FormData();
  form.append("file", file, file.name);
  if (body.name) form.append("name", body.name);
  const { data } = await uploadDataset({
    body,
    bodySerializer: () => form,
    fetch: progressFetch(form, onProgress ?? (() => undefined)),
    signal,
    throwOnError: true,
  });
  return data;
}

export function useUploadDataset() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: uploadDatasetWithProgress,
    onSuccess: async (dataset: DatasetOut) => {
      queryClient.setQueryData(datasetQueries.detail(dataset.id).queryKey, dataset);
      queryClient.setQueryData(datasetQueries.list().queryKey, (page) => upsertItem(page, dataset));
      // Mark stale without refetching now: the list above already holds the answer.
      await queryClient.invalidateQueries({ queryKey: datasetQueries.list().queryKey, refetchType: "none" });
    },
  });
}
