import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router";
import type { DatasetOut } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { runQueries } from "../features/runs/api/queries";
import { RunsTable } from "../features/runs/components/RunsTable";
import { useCanCreate } from "../lib/session";

export function RunsPage() {
  const runs = useQuery(runQueries.list());
  const datasets = useQuery(datasetQueries.list());
  const canCreate = useCanCreate();
  const byId = useMemo(
    () => new Map<number, DatasetOut>((datasets.data?.items ?? []).map((d) => [d.id, d])),
    [datasets.data],
  );
  return (
    <>
      <PageHeader
        title="Runs"
        subtitle="Every fine-tuning run, judged by its validation loss against the base model's on the same split."
        actions={
          canCreate ? (
            <Link to="/runs/new" className="btn btn-primary" data-testid="new-run-link">
              New run
            </Link>
          ) : null
        }
      />
      <Card flush>
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorNotice error={runs.error} title="Could not load runs" />
        ) : runs.data.items.length === 0 ? (
          <EmptyState title="No runs yet">
            {canCreate ? (
              <>
                <Link to="/runs/new">Start a run</Link> on one of your <Link to="/datasets">datasets</Link>.
              </>
            ) : null}
          </EmptyState>
        ) : (
          <RunsTable runs={runs.data.items} datasets={byId} />
        )}
      </Card>
    </>
  );
}
