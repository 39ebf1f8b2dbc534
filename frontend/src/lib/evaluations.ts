import { client } from "../client/client.gen";
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
