import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { client } from "../../../client/client.gen";
import {
  createComparison,
  createDatasetFromReviews,
  deleteReview,
  getComparison,
  getEvaluation,
  getNextPair,
  getReviewSummary,
  listComparisons,
  listEvaluations,
  listReviews,
  rankEvaluations,
  saveReview,
  voteOnPair,
} from "../../../client/sdk.gen";
import type {
  BlindComparisonOut,
  ExportPreferencePairsData,
  ExportReviewsData,
  ReviewDatasetRequest,
  ReviewIn,
  ReviewOut,
} from "../../../client/types.gen";

/** Every review query key and fetcher, defined once. Invalidate through `reviewQueries.all()`. */
export const reviewQueries = {
  all: () => ["reviews"] as const,
  evaluation: (id: number) =>
    queryOptions({
      queryKey: [...reviewQueries.all(), "evaluation", id] as const,
      queryFn: async ({ signal }) =>
        (await getEvaluation({ path: { evaluation_id: id }, signal, throwOnError: true })).data,
      // A finished evaluation never changes; one still answering is asked again until it is finished.
      staleTime: Infinity,
      refetchInterval: (query) =>
        query.state.data && ["queued", "running"].includes(query.state.data.status) ? 3000 : false,
    }),
  /** Every evaluation of a dataset the caller can see: those a blind A/B can pair with one of them. */
  ofDataset: (datasetId: number) =>
    queryOptions({
      queryKey: [...reviewQueries.all(), "dataset", datasetId, "evaluations"] as const,
      queryFn: async ({ signal }) =>
        (await listEvaluations({ query: { dataset_id: datasetId }, signal, throwOnError: true })).data,
    }),
  /** The signed-in reviewer's own reviews; saves write their answer here (useSaveReview). */
  mine: (id: number) =>
    queryOptions({
      queryKey: [...reviewQueries.all(), "evaluation", id, "mine"] as const,
      queryFn: async ({ signal }) =>
        (await listReviews({ path: { evaluation_id: id }, query: { reviewer: "me" }, signal, throwOnError: true }))
          .data,
    }),
  summary: (id: number) =>
    queryOptions({
      queryKey: [...reviewQueries.all(), "evaluation", id, "summary"] as const,
      queryFn: async ({ signal }) =>
        (await getReviewSummary({ path: { evaluation_id: id }, signal, throwOnError: true })).data,
    }),
};

/** Every blind A/B query key and fetcher, defined once. Invalidate through `comparisonQueries.all()`. */
export const comparisonQueries = {
  all: () => ["comparisons"] as const,
  /** Every comparison the caller can see: which evaluations have been voted on against which. */
  list: () =>
    queryOptions({
      queryKey: [...comparisonQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listComparisons({ signal, throwOnError: true })).data,
    }),
  forEvaluation: (evaluationId: number) =>
    queryOptions({
      queryKey: [...comparisonQueries.all(), "evaluation", evaluationId] as const,
      queryFn: async ({ signal }) =>
        (await listComparisons({ query: { evaluation_id: evaluationId }, signal, throwOnError: true })).data,
    }),
  detail: (id: number) =>
    queryOptions({
      queryKey: [...comparisonQueries.all(), "detail", id] as const,
      queryFn: async ({ signal }) =>
        (await getComparison({ path: { comparison_id: id }, signal, throwOnError: true })).data,
    }),
  /** The caller's next pair to vote on, the same one until voted; null once every pair has a vote. */
  next: (id: number) =>
    queryOptions({
      queryKey: [...comparisonQueries.all(), "detail", id, "next"] as const,
      queryFn: async ({ signal }) =>
        (await getNextPair({ path: { comparison_id: id }, signal, throwOnError: true })).data ?? null,
      staleTime: Infinity,
    }),
  /** The Bradley–Terry ranking of three or more evaluations from every vote between them. */
  ranking: (evaluationIds: readonly number[]) =>
    queryOptions({
      queryKey: [...comparisonQueries.all(), "ranking", evaluationIds.join(",")] as const,
      queryFn: async ({ signal }) =>
        (await rankEvaluations({ query: { evaluation_ids: evaluationIds.join(",") }, signal, throwOnError: true }))
          .data,
    }),
};

export type ReviewChange = Omit<ReviewIn, "example_id" | "version">;

/**
 * Saves the caller's review of one example from the version it started from (`version`: null when there was
 * none); a stale version is a 409. The answer replaces the cached one, so the next edit starts from it.
 */
export function useSaveReview(evaluationId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: ReviewIn) =>
      (await saveReview({ path: { evaluation_id: evaluationId }, body, throwOnError: true })).data,
    onSuccess: (saved) => {
      queryClient.setQueryData(reviewQueries.mine(evaluationId).queryKey, (list) =>
        list ? replaceReview(list, saved.example_id, saved) : list,
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: reviewQueries.summary(evaluationId).queryKey }),
  });
}

/** Deletes the caller's review of one example (undoing a first verdict). */
export function useDeleteReview(evaluationId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ exampleId, version }: { exampleId: number; version: number }) => {
      await deleteReview({
        path: { evaluation_id: evaluationId, example_id: exampleId },
        query: { version },
        throwOnError: true,
      });
      return exampleId;
    },
    onSuccess: (exampleId) => {
      queryClient.setQueryData(reviewQueries.mine(evaluationId).queryKey, (list) =>
        list ? replaceReview(list, exampleId, null) : list,
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: reviewQueries.summary(evaluationId).queryKey }),
  });
}

function replaceReview(list: ReviewOut[], exampleId: number, review: ReviewOut | null): ReviewOut[] {
  const others = list.filter((r) => r.example_id !== exampleId);
  return review ? [...others, review] : others;
}

/** A new dataset version from the reviews; with `preview`, only what would change (nothing stored). */
export function useReviewDataset(evaluationId: number) {
  return useMutation({
    mutationFn: async (body: ReviewDatasetRequest) =>
      (await createDatasetFromReviews({ path: { evaluation_id: evaluationId }, body, throwOnError: true })).data,
  });
}

/** A blind A/B comparison of two evaluations' answers to their shared examples. */
export function useCreateComparison() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ a, b }: { a: number; b: number }) =>
      (await createComparison({ body: { evaluation_a: a, evaluation_b: b }, throwOnError: true })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: comparisonQueries.all() }),
  });
}

/**
 * Opens the blind A/B of `a` against `b`: the one already made for the pair (either way round, from `existing`), else
 * a new one.
 */
export function useOpenComparison() {
  const create = useCreateComparison();
  const navigate = useNavigate();
  const open = (a: number, b: number, existing: readonly BlindComparisonOut[]) => {
    const made = findComparison(existing, a, b);
    if (made) return void navigate(`/comparisons/${made.id}`);
    create.mutate({ a, b }, { onSuccess: (created) => void navigate(`/comparisons/${created.id}`) });
  };
  return { open, isPending: create.isPending, error: create.error, reset: create.reset };
}

export function findComparison(
  comparisons: readonly BlindComparisonOut[],
  a: number,
  b: number,
): BlindComparisonOut | undefined {
  return comparisons.find(
    (c) => (c.evaluation_a === a && c.evaluation_b === b) || (c.evaluation_a === b && c.evaluation_b === a),
  );
}

/** One vote; the answer names the models behind left and right (shown only when asked). Results and rankings move. */
export function useVote(comparisonId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: { pair_id: number; choice: "left" | "right" | "tie" | "both_bad" }) =>
      (await voteOnPair({ path: { comparison_id: comparisonId }, body, throwOnError: true })).data,
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: comparisonQueries.detail(comparisonId).queryKey }),
        queryClient.invalidateQueries({ queryKey: [...comparisonQueries.all(), "ranking"] }),
      ]),
  });
}

/** Links to files (browser downloads, not fetches), built from the generated routes. */
export function reviewsExportUrl(evaluationId: number, format: "jsonl" | "csv"): string {
  return client.buildUrl<ExportReviewsData>({
    url: "/api/evaluations/{evaluation_id}/reviews/export",
    path: { evaluation_id: evaluationId },
    query: { format },
  });
}

export function pairsExportUrl(comparisonId: number): string {
  return client.buildUrl<ExportPreferencePairsData>({
    url: "/api/comparisons/{comparison_id}/export",
    path: { comparison_id: comparisonId },
  });
}
