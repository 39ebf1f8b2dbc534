import { queryOptions } from "@tanstack/react-query";
import { client } from "../client/client.gen";
import { listEvaluationPredictions } from "../client/sdk.gen";
import type { ExportEvaluationData } from "../client/types.gen";

/** What an evaluation's answers download as: the run page's evaluations and the benchmark card both offer them. */
export const EXPORT_FORMATS = ["jsonl", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A link to an evaluation's answers as a file (a browser download, not a fetch), built from the generated route. */
export function evaluationExportUrl(id: number, format: ExportFormat): string {
  return client.buildUrl<ExportEvaluationData>({
    url: "/api/evaluations/{evaluation_id}/export",
    path: { evaluation_id: id },
    query: { format },
  });
}

/** The most predictions one request returns (the API's limit): the run page's table and a review cover this many. */
export const PREDICTIONS_LIMIT = 500;

/** An evaluation's first PREDICTIONS_LIMIT scored answers, shared by the run page and the review page: a finished
 * evaluation's answers never change. */
export const predictionsQuery = (id: number) =>
  queryOptions({
    queryKey: ["evaluations", "detail", id, "predictions"] as const,
    queryFn: async ({ signal }) =>
      (
        await listEvaluationPredictions({
          path: { evaluation_id: id },
          query: { limit: PREDICTIONS_LIMIT },
          signal,
          throwOnError: true,
        })
      ).data,
    staleTime: Infinity,
  });
