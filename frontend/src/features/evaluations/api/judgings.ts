import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { cancelJudging, judgeEvaluation, judgePair, listJudgings } from "../../../client/sdk.gen";
import type { JudgingOut } from "../../../client/types.gen";
import { evaluationQueries } from "./queries";

const UNFINISHED: readonly JudgingOut["status"][] = ["queued", "running"];

/** Judgings of evaluations: keys and fetchers, defined once, under the evaluations' keys (a judging changes them). */
export const judgingQueries = {
  all: () => [...evaluationQueries.all(), "judgings"] as const,
  /** Newest first, pairwise ones included; polled while one is queued or running. */
  forEvaluation: (evaluationId: number) =>
    queryOptions({
      queryKey: [...judgingQueries.all(), "evaluation", evaluationId] as const,
      queryFn: async ({ signal }) =>
        (await listJudgings({ query: { evaluation_id: evaluationId }, signal, throwOnError: true })).data,
      refetchInterval: (query) =>
        query.state.data?.items.some((judging) => UNFINISHED.includes(judging.status)) ? 2000 : false,
    }),
};

/**
 * An evaluation's judgings. When one finishes, the evaluations' scores changed (the judge_score metric, each
 * answer's score and explanation): their cached queries are refreshed.
 */
export function useJudgings(evaluationId: number) {
  const queryClient = useQueryClient();
  const judgings = useQuery(judgingQueries.forEvaluation(evaluationId));
  const unfinished = useRef(new Set<number>());
  useEffect(() => {
    const items = judgings.data?.items ?? [];
    const finished = items.some((j) => unfinished.current.has(j.id) && !UNFINISHED.includes(j.status));
    unfinished.current = new Set(items.filter((j) => UNFINISHED.includes(j.status)).map((j) => j.id));
    if (finished) void queryClient.invalidateQueries({ queryKey: evaluationQueries.all() });
  }, [judgings.data, queryClient]);
  return judgings;
}

export type JudgeRequest = {
  judgeId: number;
  rubric: string | null;
  /** Each evaluation graded on its own. */
  evaluationIds: number[];
  /** Also: which of two evaluations answered each example better (A, B). */
  pair: [number, number] | null;
};

/** Asks for every judging at once; asking again replaces an evaluation's earlier judge scores. */
export function useJudge() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ judgeId, rubric, evaluationIds, pair }: JudgeRequest) => {
      for (const id of evaluationIds) {
        await judgeEvaluation({
          path: { evaluation_id: id },
          body: { judge_id: judgeId, rubric },
          throwOnError: true,
        });
      }
      if (pair) await judgePair({ body: { a: pair[0], b: pair[1], judge_id: judgeId }, throwOnError: true });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: evaluationQueries.all() }),
  });
}

export function useCancelJudging() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => (await cancelJudging({ path: { judging_id: id }, throwOnError: true })).data,
    onSettled: () => queryClient.invalidateQueries({ queryKey: judgingQueries.all() }),
  });
}
