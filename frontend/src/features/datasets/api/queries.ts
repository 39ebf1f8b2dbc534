import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { client } from "../../../client/client.gen";
import { formDataBodySerializer } from "../../../client/core/bodySerializer.gen";
import {
  convertDataset,
  getDataset,
  getTokenStats,
  listDatasetExamples,
  listDatasets,
  listTemplates,
  previewConversion,
  previewTokens,
  updateDataset,
  uploadDataset,
  deleteDataset,
} from "../../../client/sdk.gen";
import type {
  DatasetOut,
  DatasetUpdate,
  DownloadDatasetData,
  PreviewRequest,
  Split,
  TemplateOut,
  UploadDatasetData,
  ConvertDatasetData,
} from "../../../client/types.gen";
import { progressFetch } from "../../../lib/api";
import { rememberItem } from "../../../lib/cache";

/** A template's name, as the generated schema spells the union. */
export type TemplateName = TemplateOut["name"];

export type ExamplesParams = { split: Split | null; q: string; offset: number; limit: number };
export type TokenStatsParams = { baseModel: string; template: TemplateName; maxSeqLength: number };

/** Every dataset query key and fetcher, defined once. Invalidate through `datasetQueries.all()`. */
export const datasetQueries = {
  all: () => ["datasets"] as const,
  /** Archived datasets are left out unless asked for. */
  list: (includeArchived = false) =>
    queryOptions({
      queryKey: [...datasetQueries.all(), "list", ...(includeArchived ? ["with-archived"] : [])] as const,
      queryFn: async ({ signal }) =>
        (await listDatasets({ query: { include_archived: includeArchived }, signal, throwOnError: true })).data,
    }),
  detailKey: (id: number) => [...datasetQueries.all(), "detail", id] as const,
  detail: (id: number) =>
    queryOptions({
      queryKey: datasetQueries.detailKey(id),
      queryFn: async ({ signal }) =>
        (await getDataset({ path: { dataset_id: id }, signal, throwOnError: true })).data,
    }),
  examples: (id: number, params: ExamplesParams) =>
    queryOptions({
      queryKey: [...datasetQueries.detailKey(id), "examples", params] as const,
      queryFn: async ({ signal }) =>
        (
          await listDatasetExamples({
            path: { dataset_id: id },
            query: {
              split: params.split,
              q: params.q.trim() ? params.q.trim() : null,
              offset: params.offset,
              limit: params.limit,
            },
            signal,
            throwOnError: true,
          })
        ).data,
      placeholderData: keepPreviousData,
    }),
  /**
   * Token lengths under a base model's tokenizer and a template; keyed by all three, cached a while once counted.
   * A worker counts them once per dataset, model and template: until then the answer is `{status: "pending"}`
   * (HTTP 202), asked again every second.
   */
  tokenStats: (id: number, params: TokenStatsParams) =>
    queryOptions({
      queryKey: [...datasetQueries.detailKey(id), "token-stats", params] as const,
      queryFn: async ({ signal }) =>
        (
          await getTokenStats({
            path: { dataset_id: id },
            query: {
              base_model: params.baseModel,
              template: params.template,
              max_seq_length: params.maxSeqLength,
            },
            signal,
            throwOnError: true,
          })
        ).data,
      staleTime: (query) => (query.state.data?.status === "pending" ? 0 : 5 * 60_000),
      refetchInterval: (query) => (query.state.data?.status === "pending" ? 1000 : false),
      placeholderData: keepPreviousData,
    }),
  /** The trainer's own tokenisation of one example. A POST, but it reads only: cached like a query. */
  preview: (id: number, body: PreviewRequest) =>
    queryOptions({
      queryKey: [...datasetQueries.detailKey(id), "preview", body] as const,
      queryFn: async ({ signal }) =>
        (await previewTokens({ path: { dataset_id: id }, body, signal, throwOnError: true })).data,
      staleTime: 5 * 60_000,
      placeholderData: keepPreviousData,
    }),
};

export const templateQueries = {
  list: () =>
    queryOptions({
      queryKey: ["templates"] as const,
      queryFn: async ({ signal }) => (await listTemplates({ signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
};

/** A link to a split's file (a browser download, not a fetch), built from the generated route. */
export function downloadUrl(id: number, split: Split | null, format: "jsonl" | "csv"): string {
  return client.buildUrl<DownloadDatasetData>({
    url: "/api/datasets/{dataset_id}/download",
    path: { dataset_id: id },
    query: { split, format },
  });
}

export type Shape = "auto" | "alpaca" | "prompt_completion" | "chat";

/** What the Options area and the follow-up forms (column mapping, dropping bad rows) decide. */
export type UploadOptions = {
  shape: Shape;
  /** Fractions that sum to 1. */
  ratios: { train: number; validation: number; test: number };
  seed: number;
  validationFile: File | null;
  testFile: File | null;
  /** "" = the default for the detected shape. */
  template: TemplateName | "";
  columnMapping: Record<string, string> | null;
  dropInvalid: boolean;
  /** Keep rows with the same or nearly the same prompt in one split (no leakage from train). */
  groupSimilar: boolean;
};

export const DEFAULT_UPLOAD_OPTIONS: UploadOptions = {
  shape: "auto",
  ratios: { train: 0.85, validation: 0.05, test: 0.1 },
  seed: 42,
  validationFile: null,
  testFile: null,
  template: "",
  columnMapping: null,
  dropInvalid: false,
  groupSimilar: false,
};

export type UploadVariables = {
  file: File;
  name?: string;
  options?: UploadOptions;
  /** Called with bytes sent so far and the total (0 when unknown). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
};

/** Round a fraction for the form body: 0.1 + 0.2 must not arrive as 0.30000000000000004. */
function ratio(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Upload through the generated client; XMLHttpRequest underneath only so progress can be reported. */
export async function uploadDatasetWithProgress({ file, name, options, onProgress, signal }: UploadVariables) {
  const o = options ?? DEFAULT_UPLOAD_OPTIONS;
  const body: UploadDatasetData["body"] = {
    file,
    name: name?.trim() ? name.trim() : null,
    shape: o.shape,
    column_mapping: o.columnMapping ? JSON.stringify(o.columnMapping) : null,
    drop_invalid: o.dropInvalid,
    train_ratio: ratio(o.ratios.train),
    validation_ratio: ratio(o.ratios.validation),
    test_ratio: ratio(o.ratios.test),
    seed: o.seed,
    group_similar: o.groupSimilar,
    validation_file: o.validationFile,
    test_file: o.testFile,
    template: o.template || null,
  };
  // Serialised here, as the SDK would, because the progress-reporting fetch needs the FormData itself.
  const form = formDataBodySerializer.bodySerializer(body);
  const { data } = await uploadDataset({
    body,
    bodySerializer: () => form,
    fetch: progressFetch(form, onProgress ?? (() => undefined)),
    signal,
    throwOnError: true,
  });
  return data;
}

function useRememberDataset() {
  const queryClient = useQueryClient();
  return (dataset: DatasetOut) =>
    rememberItem(queryClient, dataset, {
      detail: datasetQueries.detail(dataset.id).queryKey,
      list: datasetQueries.list().queryKey,
    });
}

export function useUploadDataset() {
  const remember = useRememberDataset();
  return useMutation({ mutationFn: uploadDatasetWithProgress, onSuccess: remember });
}

/** PATCH name/template/custom_template; a template change is validated against every example (422 names a row). */
export function useUpdateDataset(id: number) {
  const queryClient = useQueryClient();
  const remember = useRememberDataset();
  return useMutation({
    mutationFn: async (body: DatasetUpdate) =>
      (await updateDataset({ path: { dataset_id: id }, body, throwOnError: true })).data,
    onSuccess: async (dataset) => {
      await remember(dataset);
      // Token statistics and previews that used "the dataset's template" may have changed; archiving moves it
      // in or out of the lists.
      await queryClient.invalidateQueries({ queryKey: datasetQueries.detailKey(id) });
      await queryClient.invalidateQueries({ queryKey: [...datasetQueries.all(), "list"] });
    },
  });
}

export type ConvertBody = ConvertDatasetData["body"];

/** Labelled table → instruction examples, without storing anything. */
export function useConversionPreview() {
  return useMutation({
    mutationFn: async (body: Omit<ConvertBody, "name">) =>
      (await previewConversion({ body, throwOnError: true })).data,
  });
}

export function useConvertDataset() {
  const remember = useRememberDataset();
  return useMutation({
    mutationFn: async (body: ConvertBody) =>
      (await convertDataset({ body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

/** Delete a dataset nothing used; a 409 names the runs that used it (archive it instead). */
export function useDeleteDataset(id: number, { onDeleted }: { onDeleted: () => void }) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      // A refetch of the open page landing after the delete would answer 404 and unmount it.
      await queryClient.cancelQueries({ queryKey: datasetQueries.detailKey(id) });
      await deleteDataset({ path: { dataset_id: id }, throwOnError: true });
    },
    // Here rather than in mutate's callbacks: those are skipped when the page unmounted meanwhile (a poll's 404).
    onSuccess: async () => {
      onDeleted();
      queryClient.removeQueries({ queryKey: datasetQueries.detailKey(id) });
      await queryClient.invalidateQueries({ queryKey: [...datasetQueries.all(), "list"] });
    },
  });
}
