import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import {
  cancelEvaluation,
  compareEvaluations,
  createEvaluation,
  deleteBenchmark,
  getBenchmark,
  listBenchmarkQuestions,
  listBenchmarks,
  listEvaluations,
  uploadBenchmark,
} from "../../../client/sdk.gen";
import type { BenchmarkOut, EvaluationOut } from "../../../client/types.gen";
import { rememberItem } from "../../../lib/cache";

export type QuestionsParams = { subject: string | null; offset: number; limit: number };

const UNFINISHED: readonly EvaluationOut["status"][] = ["queued", "running"];

/** Every benchmark query key and fetcher, defined once. Invalidate through `benchmarkQueries.all()`. */
export const benchmarkQueries = {
  all: () => ["benchmarks"] as const,
  list: () =>
    queryOptions({
      queryKey: [...benchmarkQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listBenchmarks({ signal, throwOnError: true })).data,
    }),
  detail: (id: number) =>
    queryOptions({
      queryKey: [...benchmarkQueries.all(), "detail", id] as const,
      queryFn: async ({ signal }) =>
        (await getBenchmark({ path: { benchmark_id: id }, signal, throwOnError: true })).data,
    }),
  questions: (id: number, params: QuestionsParams) =>
    queryOptions({
      queryKey: [...benchmarkQueries.all(), "detail", id, "questions", params] as const,
      queryFn: async ({ signal }) =>
        (
          await listBenchmarkQuestions({
            path: { benchmark_id: id },
            query: { subject: params.subject, offset: params.offset, limit: params.limit },
            signal,
            throwOnError: true,
          })
        ).data,
      placeholderData: keepPreviousData,
    }),
  /** A run's multiple-choice evaluations, oldest first; polled while one is still scoring. */
  runEvaluations: (runId: number) =>
    queryOptions({
      queryKey: [...benchmarkQueries.all(), "run", runId, "evaluations"] as const,
      queryFn: async ({ signal }) => {
        const page = (await listEvaluations({ query: { run_id: runId }, signal, throwOnError: true })).data;
        return page.items.filter((e) => e.kind === "multiple_choice");
      },
      refetchInterval: (query) => (query.state.data?.some((e) => UNFINISHED.includes(e.status)) ? 2000 : false),
    }),
  /** Fine-tuned (b) against base (a); two finished evaluations never change, so neither does this. */
  compare: (a: number, b: number) =>
    queryOptions({
      queryKey: [...benchmarkQueries.all(), "compare", a, b] as const,
      queryFn: async ({ signal }) => (await compareEvaluations({ query: { a, b }, signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
};

export function isUnfinished(evaluation: EvaluationOut): boolean {
  return UNFINISHED.includes(evaluation.status);
}

export function useUploadBenchmark() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ file, name }: { file: File; name: string }) =>
      (await uploadBenchmark({ body: { file, name: name.trim() || null }, throwOnError: true })).data,
    onSuccess: (benchmark: BenchmarkOut) =>
      rememberItem(queryClient, benchmark, {
        detail: benchmarkQueries.detail(benchmark.id).queryKey,
        list: benchmarkQueries.list().queryKey,
      }),
  });
}

export function useDeleteBenchmark() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      await deleteBenchmark({ path: { benchmark_id: id }, throwOnError: true });
    },
    // Its evaluations went with it, on every run page too.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: benchmarkQueries.all() }),
  });
}

/** The base model and the fine-tuned one (final weights) scored on a benchmark: two evaluations. */
export function useRunBenchmark(runId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (benchmarkId: number) => {
      for (const model of ["base", "fine_tuned"] as const) {
        await createEvaluation({ body: { run_id: runId, benchmark_id: benchmarkId, model }, throwOnError: true });
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: benchmarkQueries.runEvaluations(runId).queryKey }),
  });
}

export function useCancelBenchmarkEvaluations(runId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: number[]) => {
      for (const id of ids) await cancelEvaluation({ path: { evaluation_id: id }, throwOnError: true });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: benchmarkQueries.runEvaluations(runId).queryKey }),
  });
}
