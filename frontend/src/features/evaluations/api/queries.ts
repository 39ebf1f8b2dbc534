import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  cancelEvaluation,
  compareEvaluations,
  createEvaluation,
  listEvaluations,
} from "../../../client/sdk.gen";
import type {
  ComparisonOut,
  EvaluationCreate,
  EvaluationOut,
  RunStatus,
} from "../../../client/types.gen";

const UNFINISHED: readonly EvaluationOut["status"][] = ["queued", "running"];

export function isUnfinished(evaluation: EvaluationOut): boolean {
  return UNFINISHED.includes(evaluation.status);
}

/** Every evaluation query key and fetcher, defined once. Invalidate through `evaluationQueries.all()`. */
export const evaluationQueries = {
  all: () => ["evaluations"] as const,
  forRun: (runId: number) =>
    queryOptions({
      queryKey: [...evaluationQueries.all(), "run", runId] as const,
      queryFn: async ({ signal }) =>
        (await listEvaluations({ query: { run_id: runId }, signal, throwOnError: true })).data,
      // Answers are scored after training: poll while an evaluation is still answering.
      refetchInterval: (query) =>
        query.state.data?.items.some((e) => UNFINISHED.includes(e.status)) ? 3000 : false,
    }),
  /** B against A on the same examples; finished evaluations never change, so neither does this. */
  compare: (a: number, b: number) =>
    queryOptions({
      queryKey: [...evaluationQueries.all(), "compare", a, b] as const,
      queryFn: async ({ signal }) => (await compareEvaluations({ query: { a, b }, signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
};

/** Queue an evaluation of the run's model; the run's list (polled while one answers) shows it. */
export function useCreateEvaluation(runId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: EvaluationCreate) => (await createEvaluation({ body, throwOnError: true })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: evaluationQueries.forRun(runId).queryKey }),
  });
}

/** A queued evaluation stops at once, a running one after its current batch. */
export function useCancelEvaluation(runId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      (await cancelEvaluation({ path: { evaluation_id: id }, throwOnError: true })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: evaluationQueries.forRun(runId).queryKey }),
  });
}

/**
 * The run's automatic pair: its fine-tuned model's final weights and its base model on the test split (the first
 * of each, as the worker creates them when the run finishes).
 */
export function automaticPair(items: EvaluationOut[]): { tuned?: EvaluationOut; base?: EvaluationOut } {
  const tuned = items.find((e) => e.model === "fine_tuned" && e.checkpoint_step === null && e.split === "test");
  const base = items.find((e) => e.model === "base" && e.split === "test" && e.dataset_id === tuned?.dataset_id);
  return { tuned, base };
}

/** What a run's page can say about its evaluation, in the order a run goes through them. */
export type RunEvaluationState =
  | { kind: "not-finished" }
  | { kind: "did-not-succeed" }
  | { kind: "loading" }
  | { kind: "error"; error: Error }
  | { kind: "none" }
  | { kind: "scoring"; evaluations: EvaluationOut[] }
  | { kind: "failed"; evaluation: EvaluationOut }
  | { kind: "ready"; base: EvaluationOut; tuned: EvaluationOut; comparison: ComparisonOut };

/**
 * The run's automatic evaluations (the fine-tuned model's final weights and the base model, on the test split)
 * and their comparison, base → fine-tuned. Shared by the headline and the section: the queries are deduplicated.
 */
export function useRunEvaluation(runId: number, runStatus: RunStatus): RunEvaluationState {
  const succeeded = runStatus === "succeeded";
  const list = useQuery({ ...evaluationQueries.forRun(runId), enabled: succeeded });
  const items = list.data?.items ?? [];
  const { tuned, base } = automaticPair(items);
  const ready = tuned?.status === "succeeded" && base?.status === "succeeded";
  const comparison = useQuery({
    ...evaluationQueries.compare(base?.id ?? 0, tuned?.id ?? 0),
    enabled: ready,
  });

  if (runStatus === "queued" || runStatus === "running") return { kind: "not-finished" };
  if (!succeeded) return { kind: "did-not-succeed" };
  if (list.isPending) return { kind: "loading" };
  if (list.isError) return { kind: "error", error: list.error };
  if (!tuned || !base) return { kind: "none" };
  const failed = [tuned, base].find((e) => e.status === "failed" || e.status === "cancelled");
  if (failed) return { kind: "failed", evaluation: failed };
  if (!ready) return { kind: "scoring", evaluations: [tuned, base] };
  if (comparison.isPending) return { kind: "loading" };
  if (comparison.isError) return { kind: "error", error: comparison.error };
  return { kind: "ready", base, tuned, comparison: comparison.data };
}
