import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import type { DatasetOut, Split } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Pagination } from "../components/ui/Pagination";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { ExamplesTable } from "../features/datasets/components/ExamplesTable";
import { formatDateTime, formatNumber } from "../lib/format";

const PAGE_SIZE = 25;
const SPLITS: Split[] = ["train", "validation", "test"];

function isSplit(value: string | null): value is Split {
  return value !== null && (SPLITS as string[]).includes(value);
}

export function DatasetDetailPage() {
  const id = Number(useParams().id);
  const dataset = useQuery({ ...datasetQueries.detail(id), enabled: Number.isInteger(id) });

  if (!Number.isInteger(id)) return <ErrorNotice error={new Error("Not a dataset id")} title="Not found" />;
  if (dataset.isPending) return <Loading />;
  if (dataset.isError) return <ErrorNotice error={dataset.error} title="Could not load the dataset" />;
  return <DatasetDetail dataset={dataset.data} />;
}

function Stat({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub ? <div className="stat-sub">{sub}</div> : null}
    </div>
  );
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((part / total) * 100).toFixed(0)}%` : "";
}

function DatasetDetail({ dataset }: { dataset: DatasetOut }) {
  const [params, setParams] = useSearchParams();
  const splitParam = params.get("split");
  const split = isSplit(splitParam) ? splitParam : null;
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const examples = useQuery(datasetQueries.examples(dataset.id, { split, offset, limit: PAGE_SIZE }));

  const update = (next: { split?: Split | null; offset?: number }) => {
    const search = new URLSearchParams(params);
    if (next.split !== undefined) {
      if (next.split) search.set("split", next.split);
      else search.delete("split");
      search.delete("offset");
    }
    if (next.offset !== undefined) {
      if (next.offset > 0) search.set("offset", String(next.offset));
      else search.delete("offset");
    }
    setParams(search, { replace: true });
  };

  const counts: Record<Split, number> = {
    train: dataset.num_train,
    validation: dataset.num_validation,
    test: dataset.num_test,
  };

  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/datasets">Datasets</Link> <span className="muted">/</span> #{dataset.id}
          </>
        }
        title={dataset.name}
        subtitle={`${dataset.format} · uploaded ${formatDateTime(dataset.created_at)}`}
        actions={
          <Link to={`/runs/new?dataset=${dataset.id}`} className="btn btn-primary" data-testid="dataset-new-run">
            Fine-tune on this dataset
          </Link>
        }
      />
      <div className="stats" data-testid="dataset-stats">
        <Stat label="Rows" value={formatNumber(dataset.num_rows)} />
        <Stat label="Train" value={formatNumber(dataset.num_train)} sub={pct(dataset.num_train, dataset.num_rows)} />
        <Stat
          label="Validation"
          value={formatNumber(dataset.num_validation)}
          sub={pct(dataset.num_validation, dataset.num_rows)}
        />
        <Stat label="Test" value={formatNumber(dataset.num_test)} sub={pct(dataset.num_test, dataset.num_rows)} />
        <Stat label="Split" value={`seed ${dataset.split_seed}`} sub={`hash ${dataset.split_hash.slice(0, 12)}`} />
      </div>
      <Card
        title="Examples"
        flush
        actions={
          <div className="segmented" role="tablist" aria-label="Split" data-testid="split-filter">
            <button
              type="button"
              role="tab"
              aria-selected={split === null}
              className={split === null ? "active" : ""}
              onClick={() => update({ split: null })}
            >
              All <span className="count">{formatNumber(dataset.num_rows)}</span>
            </button>
            {SPLITS.map((s) => (
              <button
                key={s}
                type="button"
                role="tab"
                aria-selected={split === s}
                className={split === s ? "active" : ""}
                onClick={() => update({ split: s })}
                data-split={s}
              >
                {s[0]?.toUpperCase()}
                {s.slice(1)} <span className="count">{formatNumber(counts[s])}</span>
              </button>
            ))}
          </div>
        }
      >
        {examples.isPending ? (
          <Loading />
        ) : examples.isError ? (
          <ErrorNotice error={examples.error} title="Could not load examples" />
        ) : examples.data.items.length === 0 ? (
          <EmptyState title="No examples in this split" />
        ) : (
          <div className={examples.isPlaceholderData ? "is-refreshing" : undefined}>
            <ExamplesTable examples={examples.data.items} />
            <Pagination
              offset={offset}
              limit={PAGE_SIZE}
              total={examples.data.total}
              onChange={(next) => update({ offset: next })}
            />
          </div>
        )}
      </Card>
    </>
  );
}
