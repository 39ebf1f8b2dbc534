import { queryOptions } from "@tanstack/react-query";
import { getJudgeRubrics, listJudges } from "../client/sdk.gen";

/**
 * The user's judges and the default rubrics: the Judges page manages them, an evaluation's judge panel picks from
 * them. Keys and fetchers, defined once; the Judges page's mutations invalidate `judgeQueries.all()`.
 */
export const judgeQueries = {
  all: () => ["judges"] as const,
  list: () =>
    queryOptions({
      queryKey: [...judgeQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listJudges({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
  /** The default rubrics never change while the studio runs. */
  rubrics: () =>
    queryOptions({
      queryKey: [...judgeQueries.all(), "rubrics"] as const,
      queryFn: async ({ signal }) => (await getJudgeRubrics({ signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
};
