import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import type { EvaluationOut } from "../client/types.gen";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { reviewQueries } from "../features/reviews/api/queries";
import { BlindABDialog } from "../features/reviews/components/BlindABDialog";
import { NotReviewable } from "../features/reviews/components/NotReviewable";
import { ReviewSummaryCard } from "../features/reviews/components/ReviewSummaryCard";
import { ReviewSession } from "../features/reviews/components/ReviewWorkspace";
import { answeredBy, isReviewable } from "../features/reviews/format";
import { runQueries } from "../features/runs/api/queries";

/** /evaluations/:id/review: a person grades an evaluation's answers, one at a time, with the keyboard. */
export function ReviewPage() {
  const id = Number(useParams().id);
  const valid = Number.isInteger(id) && id > 0;
  const evaluation = useQuery({ ...reviewQueries.evaluation(id), enabled: valid });
  if (!valid) return <ErrorNotice error={new Error("Not an evaluation id")} title="Not found" />;
  if (evaluation.isPending) return <Loading />;
  if (evaluation.isError) return <ErrorNotice error={evaluation.error} title="Could not load the evaluation" />;
  return <Review evaluation={evaluation.data} />;
}

function Review({ evaluation }: { evaluation: EvaluationOut }) {
  const dataset = useQuery({
    ...datasetQueries.detail(evaluation.dataset_id ?? 0),
    enabled: evaluation.dataset_id !== null,
  });
  const datasetName = dataset.data?.name ?? `dataset #${evaluation.dataset_id ?? "?"}`;
  const reviewable = isReviewable(evaluation);
  // Names for the evaluations a blind A/B can pair with this one.
  const runs = useQuery({ ...runQueries.list(), enabled: reviewable });
  return (
    <>
      <PageHeader
        breadcrumb={
          evaluation.run_id !== null ? (
            <>
              <Link to="/runs">Runs</Link> <span className="muted">/</span>{" "}
              <Link to={`/runs/${evaluation.run_id}`}>#{evaluation.run_id}</Link> <span className="muted">/</span>{" "}
              review
            </>
          ) : undefined
        }
        title={`Review the ${answeredBy(evaluation)}’s answers`}
        subtitle={
          <>
            Evaluation #{evaluation.id} · {datasetName} · {evaluation.split ? `${evaluation.split} split` : "whole dataset"}{" "}
            · {evaluation.total} answers
          </>
        }
        actions={reviewable ? <BlindABDialog evaluation={evaluation} runs={runs.data?.items ?? []} /> : undefined}
      />
      {reviewable ? (
        <>
          <ReviewSession evaluationId={evaluation.id} />
          <ReviewSummaryCard evaluationId={evaluation.id} datasetName={datasetName} />
        </>
      ) : (
        <NotReviewable evaluation={evaluation} />
      )}
    </>
  );
}
