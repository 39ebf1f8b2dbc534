import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { EmptyState, Loading } from "../components/ui/States";
import { benchmarkQueries } from "../features/benchmarks/api/queries";
import { BenchmarksTable } from "../features/benchmarks/components/BenchmarksTable";
import { BenchmarkUpload } from "../features/benchmarks/components/BenchmarkUpload";
import { useCanCreate } from "../lib/session";

export function BenchmarksPage() {
  const benchmarks = useQuery(benchmarkQueries.list());
  const canCreate = useCanCreate();
  const navigate = useNavigate();
  return (
    <>
      <PageHeader
        title="Benchmarks"
        subtitle="Multiple-choice sets (MMLU-style) to check whether fine-tuning kept the base model's general skills. A run's page scores one for the base and the fine-tuned model: each choice ranked by its log-likelihood, per subject, with the questions whose answer flipped. Nothing is fetched from a hub: upload your own."
      />
      {canCreate ? (
        <Card title="Upload a benchmark">
          <BenchmarkUpload onUploaded={(id) => void navigate(`/benchmarks/${id}`)} />
        </Card>
      ) : (
        <ReviewerNotice what="You can look at benchmarks shared with you" />
      )}
      <Card
        title="All benchmarks"
        actions={benchmarks.data ? <span className="muted small">{benchmarks.data.total} total</span> : null}
        flush
      >
        {benchmarks.isPending ? (
          <Loading />
        ) : benchmarks.isError ? (
          <ErrorNotice error={benchmarks.error} title="Could not load the benchmarks" />
        ) : benchmarks.data.items.length === 0 ? (
          <EmptyState title="No benchmarks yet">{canCreate ? "Drop a file above to add the first one." : null}</EmptyState>
        ) : (
          <BenchmarksTable benchmarks={benchmarks.data.items} />
        )}
      </Card>
    </>
  );
}
