import { useQuery } from "@tanstack/react-query";
import { Card } from "../../../components/ui/Card";
import { DownloadButton } from "../../../components/ui/DownloadButton";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { useCanCreate } from "../../../lib/session";
import { reviewQueries, reviewsExportUrl } from "../api/queries";
import { MakeDatasetDialog } from "./MakeDatasetDialog";
import { ReviewSummaryPanel } from "./ReviewSummaryPanel";

/** Every reviewer's reviews of the evaluation summed up, their export, and "Make dataset…" for those who may. */
export function ReviewSummaryCard({ evaluationId, datasetName }: { evaluationId: number; datasetName: string }) {
  const summary = useQuery(reviewQueries.summary(evaluationId));
  const canCreate = useCanCreate();
  return (
    <Card
      title="All reviews"
      testId="review-summary-card"
      actions={
        <>
          <DownloadButton href={reviewsExportUrl(evaluationId, "jsonl")} testId="reviews-export-jsonl">
            JSONL
          </DownloadButton>
          <DownloadButton href={reviewsExportUrl(evaluationId, "csv")} testId="reviews-export-csv">
            CSV
          </DownloadButton>
          {canCreate ? <MakeDatasetDialog evaluationId={evaluationId} datasetName={datasetName} /> : null}
        </>
      }
    >
      {summary.isPending ? (
        <Loading />
      ) : summary.isError ? (
        <ErrorNotice error={summary.error} title="Could not load the summary" />
      ) : (
        <ReviewSummaryPanel summary={summary.data} />
      )}
    </Card>
  );
}
