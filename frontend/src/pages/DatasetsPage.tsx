import { useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { DatasetTable } from "../features/datasets/components/DatasetTable";
import { UploadZone } from "../features/datasets/components/UploadZone";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { useCanCreate } from "../lib/session";

export function DatasetsPage() {
  const [params, setParams] = useSearchParams();
  const withArchived = params.get("archived") === "1";
  const datasets = useQuery(datasetQueries.list(withArchived));
  const canCreate = useCanCreate();
  return (
    <>
      <PageHeader
        title="Datasets"
        subtitle="Instruction data: Alpaca rows, prompt/completion pairs or chats. Each upload is validated row by row, checked for duplicates and leakage, and split once into train, validation and test."
        actions={
          canCreate ? (
            <Link to="/datasets/convert" className="btn" data-testid="convert-link">
              Convert a labelled table…
            </Link>
          ) : null
        }
      />
      {canCreate ? (
        <Card title="Upload a dataset">
          <UploadZone />
        </Card>
      ) : (
        <ReviewerNotice what="You can review datasets shared with you" />
      )}
      <Card
        title="All datasets"
        actions={
          <span className="datasets-list-actions">
            <label className="muted small">
              <input
                type="checkbox"
                checked={withArchived}
                data-testid="show-archived"
                onChange={(event) => setParams(event.target.checked ? { archived: "1" } : {}, { replace: true })}
              />{" "}
              Show archived
            </label>
            {datasets.data ? <span className="muted small">{datasets.data.total} total</span> : null}
          </span>
        }
        flush
      >
        {datasets.isPending ? (
          <Loading />
        ) : datasets.isError ? (
          <ErrorNotice error={datasets.error} title="Could not load datasets" />
        ) : datasets.data.items.length === 0 ? (
          <EmptyState title="No datasets yet">
            {canCreate ? "Drop a file above to add the first one, or convert a labelled table." : null}
          </EmptyState>
        ) : (
          <DatasetTable datasets={datasets.data.items} />
        )}
      </Card>
    </>
  );
}
