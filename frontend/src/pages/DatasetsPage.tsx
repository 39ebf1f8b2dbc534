import { useQuery } from "@tanstack/react-query";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { DatasetTable } from "../features/datasets/components/DatasetTable";
import { UploadZone } from "../features/datasets/components/UploadZone";

export function DatasetsPage() {
  const datasets = useQuery(datasetQueries.list());
  return (
    <>
      <PageHeader
        title="Datasets"
        subtitle="Instruction data in Alpaca format. Each upload is validated line by line and split once into train, validation and test."
      />
      <Card title="Upload a dataset">
        <UploadZone />
      </Card>
      <Card
        title="All datasets"
        actions={datasets.data ? <span className="muted small">{datasets.data.total} total</span> : null}
        flush
      >
        {datasets.isPending ? (
          <Loading />
        ) : datasets.isError ? (
          <ErrorNotice error={datasets.error} title="Could not load datasets" />
        ) : datasets.data.items.length === 0 ? (
          <EmptyState title="No datasets yet">Drop a JSONL file above to add the first one.</EmptyState>
        ) : (
          <DatasetTable datasets={datasets.data.items} />
        )}
      </Card>
    </>
  );
}
