import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import type { DatasetOut, Split } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Pagination } from "../components/ui/Pagination";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries, useDeleteDataset, useUpdateDataset } from "../features/datasets/api/queries";
import { DownloadLinks } from "../features/datasets/components/DownloadLinks";
import { ExamplesTable } from "../features/datasets/components/ExamplesTable";
import { LabelChart } from "../features/datasets/components/LabelChart";
import { TemplateEditor } from "../features/datasets/components/TemplateEditor";
import { searchTextOf } from "../features/datasets/records";
import { tokenSettingsQuery, useTokenSettings } from "../features/datasets/useTokenSettings";
import { TokenStatsPanel } from "../features/datasets/components/TokenStatsPanel";
import { WarningsPanel } from "../features/datasets/components/WarningsPanel";
import { plural } from "../features/datasets/tokens";
import { ApiError } from "../lib/api";
import { formatDateTime, formatNumber } from "../lib/format";
import { useCanCreate } from "../lib/session";
import { useDebounced } from "../lib/useDebounced";

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

function Stat({
  label,
  value,
  sub,
  testId,
  title,
}: {
  label: string;
  value: string;
  sub?: string;
  testId?: string;
  title?: string;
}) {
  return (
    <div className="stat" data-testid={testId} title={title}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub ? <div className="stat-sub">{sub}</div> : null}
    </div>
  );
}

/** "85 / 5 / 10 %" for the usual three shares; named when a split came as its own file. */
function splitShares(ratios: DatasetOut["split_ratios"]): string {
  if (!ratios) return "validation and test from files";
  const shares = SPLITS.map((split) => ratios[split]).filter((share): share is number => share !== undefined);
  if (shares.length === SPLITS.length) return `${shares.map((share) => Math.round(share * 100)).join(" / ")} %`;
  return Object.entries(ratios)
    .map(([split, share]) => `${split} ${Math.round(share * 100)}%`)
    .join(" / ");
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((part / total) * 100).toFixed(0)}%` : "";
}

type Update = { split?: Split | null; offset?: number; q?: string; row?: number | null };

/** Archive or unarchive, and delete: a dataset that runs used answers 409 naming them, and is archived instead. */
function DatasetActions({ dataset }: { dataset: DatasetOut }) {
  const navigate = useNavigate();
  const update = useUpdateDataset(dataset.id);
  const remove = useDeleteDataset(dataset.id, { onDeleted: () => void navigate("/datasets") });
  const archived = dataset.archived_at !== null;
  const archive = (value: boolean) => update.mutate({ archived: value }, { onSuccess: () => remove.reset() });
  return (
    <>
      <button
        type="button"
        className="btn"
        data-testid={archived ? "dataset-unarchive" : "dataset-archive"}
        title={archived ? "Show it in the list and allow new runs on it again" : "Hide it from the list and from new runs; its runs keep it"}
        disabled={update.isPending}
        onClick={() => archive(!archived)}
      >
        {archived ? "Unarchive" : "Archive"}
      </button>
      <button
        type="button"
        className="btn btn-danger"
        data-testid="dataset-delete"
        disabled={remove.isPending}
        onClick={() => {
          if (window.confirm(`Delete dataset “${dataset.name}” with its examples and files?`))
            remove.mutate();
        }}
      >
        {remove.isPending ? "Deleting…" : "Delete"}
      </button>
      {remove.error ? (
        <div className="dataset-delete-error" data-testid="dataset-delete-error">
          <ErrorNotice error={remove.error} title="Not deleted" />
          {remove.error instanceof ApiError && remove.error.status === 409 && !archived ? (
            <button type="button" className="btn btn-sm" data-testid="dataset-archive-instead" onClick={() => archive(true)}>
              Archive it instead
            </button>
          ) : null}
        </div>
      ) : null}
      {update.error ? <ErrorNotice error={update.error} title="Could not change it" /> : null}
    </>
  );
}

function DatasetDetail({ dataset }: { dataset: DatasetOut }) {
  const canCreate = useCanCreate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const splitParam = params.get("split");
  const split = isSplit(splitParam) ? splitParam : null;
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const q = params.get("q") ?? "";
  const focusRow = Number(params.get("row")) || null;
  const examples = useQuery(datasetQueries.examples(dataset.id, { split, q, offset, limit: PAGE_SIZE }));
  const tokenState = useTokenSettings(dataset);

  const [draft, setDraft] = useState(q);
  const settledDraft = useDebounced(draft, 300);

  const update = (next: Update) => {
    const search = new URLSearchParams(params);
    const set = (key: string, value: string | null) => {
      if (value) search.set(key, value);
      else search.delete(key);
    };
    if (next.split !== undefined) {
      set("split", next.split);
      search.delete("offset");
    }
    if (next.q !== undefined) {
      set("q", next.q.trim() || null);
      search.delete("offset");
    }
    if (next.offset !== undefined) set("offset", next.offset > 0 ? String(next.offset) : null);
    if (next.row !== undefined) set("row", next.row ? String(next.row) : null);
    setParams(search, { replace: true });
  };

  useEffect(() => {
    if (settledDraft.trim() !== q.trim()) update({ q: settledDraft, row: null });
    // Only a settled edit of the box searches; `update` is rebuilt every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settledDraft]);

  /**
   * A warning's row: find it (rows are stored in file order; dropped rows leave gaps of at most num_dropped),
   * then search for its text, which lists it together with its duplicates, in every split.
   */
  const showRow = async (row: number) => {
    const window = Math.min(500, dataset.num_dropped + 1);
    const start = Math.max(0, row - 1 - dataset.num_dropped);
    let text = "";
    try {
      const page = await queryClient.query(
        datasetQueries.examples(dataset.id, { split: null, q: "", offset: start, limit: window }),
      );
      const found = page.items.find((example) => example.row_number === row);
      if (found) text = searchTextOf(found.record);
    } catch {
      // Fall through: show the page the row would be on.
    }
    setDraft(text);
    if (text) {
      update({ split: null, q: text, row });
    } else {
      update({ split: null, q: "", row, offset: Math.floor(Math.max(0, row - 1) / PAGE_SIZE) * PAGE_SIZE });
    }
    document.getElementById("examples")?.scrollIntoView({ behavior: "smooth", block: "start" });
  };

  const counts: Record<Split, number> = {
    train: dataset.num_train,
    validation: dataset.num_validation,
    test: dataset.num_test,
  };
  const settingsQuery = "settings" in tokenState ? tokenSettingsQuery(tokenState.settings) : "";
  // ?example= is the example's number in this dataset (ExampleOut.number), not its id.
  const previewHref = (exampleNumber?: number) =>
    `/datasets/${dataset.id}/preview?${exampleNumber ? `example=${exampleNumber}&` : ""}${settingsQuery}`;
  const hasLabels = dataset.label_counts !== null && Object.keys(dataset.label_counts).length > 0;

  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/datasets">Datasets</Link> <span className="muted">/</span> #{dataset.id}
          </>
        }
        title={
          <span className="title-with-badge">
            {dataset.name}
            {dataset.archived_at ? (
              <span className="badge" data-testid="dataset-archived" title={`Archived ${formatDateTime(dataset.archived_at)}`}>
                archived
              </span>
            ) : null}
          </span>
        }
        subtitle={
          <>
            {dataset.format} · {dataset.shape.replace("_", "/")} · uploaded {formatDateTime(dataset.created_at)}
            {dataset.derived_from_id ? (
              <span data-testid="dataset-derived-from">
                {" "}
                · a version of <Link to={`/datasets/${dataset.derived_from_id}`}>dataset #{dataset.derived_from_id}</Link>
              </span>
            ) : null}
            {dataset.column_mapping ? (
              <span data-testid="dataset-mapping">
                {" "}
                · columns{" "}
                {Object.entries(dataset.column_mapping)
                  .map(([field, column]) => `${field} ← ${column}`)
                  .join(", ")}
              </span>
            ) : null}
          </>
        }
        actions={
          <>
            <Link to={previewHref()} className="btn" data-testid="dataset-preview-link">
              Token preview
            </Link>
            {canCreate && !dataset.archived_at ? (
              <Link to={`/runs/new?dataset=${dataset.id}`} className="btn btn-primary" data-testid="dataset-new-run">
                Fine-tune on this dataset
              </Link>
            ) : null}
            {canCreate ? <DatasetActions dataset={dataset} /> : null}
          </>
        }
      />
      <div className="stats" data-testid="dataset-stats">
        <Stat label="Rows" value={formatNumber(dataset.num_rows)} testId="stat-rows" />
        <Stat
          label="Train"
          value={formatNumber(dataset.num_train)}
          sub={pct(dataset.num_train, dataset.num_rows)}
          testId="stat-train"
        />
        <Stat
          label="Validation"
          value={formatNumber(dataset.num_validation)}
          sub={pct(dataset.num_validation, dataset.num_rows)}
          testId="stat-validation"
        />
        <Stat
          label="Test"
          value={formatNumber(dataset.num_test)}
          sub={pct(dataset.num_test, dataset.num_rows)}
          testId="stat-test"
        />
        <Stat
          label="Dropped"
          value={formatNumber(dataset.num_dropped)}
          sub={dataset.num_dropped > 0 ? "bad rows left out at upload" : "no bad rows"}
          testId="stat-dropped"
        />
        <Stat
          label="Split"
          value={`seed ${dataset.split_seed}`}
          sub={splitShares(dataset.split_ratios)}
          title={`Split hash ${dataset.split_hash}: the same file, shares and seed give the same split.`}
          testId="stat-split"
        />
      </div>

      <div className="grid-2">
        <Card
          title="Warnings"
          actions={
            dataset.warnings.length > 0 ? (
              <span className="muted small">{plural(dataset.warnings.length, "check")} flagged</span>
            ) : null
          }
        >
          <WarningsPanel warnings={dataset.warnings} onRow={(row) => void showRow(row)} />
        </Card>
        <div className="stack">
          {hasLabels && dataset.label_counts ? (
            <Card
              title="Labels"
              actions={<span className="muted small">{plural(Object.keys(dataset.label_counts).length, "class", "classes")}</span>}
            >
              <LabelChart counts={dataset.label_counts} />
            </Card>
          ) : null}
          <Card title="Download" flush>
            <DownloadLinks dataset={dataset} />
          </Card>
        </div>
      </div>

      <div className="grid-2">
        <Card title="Token lengths" testId="token-stats-card">
          {"settings" in tokenState ? (
            <TokenStatsPanel dataset={dataset} state={tokenState} />
          ) : tokenState.error ? (
            <ErrorNotice error={tokenState.error} title="Could not load models and templates" />
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Prompt template" actions={<span className="muted small">the default for runs</span>}>
          <TemplateEditor dataset={dataset} />
        </Card>
      </div>

      <section id="examples" className="card">
        <div className="card-header">
          <h2 className="card-title">Examples</h2>
          <div className="card-actions">
            <div className="search">
              <input
                className="input input-search"
                type="search"
                placeholder="Search the text…"
                value={draft}
                onChange={(event) => setDraft(event.target.value)}
                aria-label="Search examples"
                data-testid="examples-search"
              />
            </div>
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
          </div>
        </div>
        {q || focusRow ? (
          <div className="filter-strip" data-testid="examples-filter">
            {focusRow ? (
              <span>
                Row <strong>{focusRow}</strong>
                {q ? " and the examples that share its text" : ""}
              </span>
            ) : (
              <span>
                Matching “<strong>{q}</strong>”
              </span>
            )}
            {examples.data ? <span className="muted"> · {plural(examples.data.total, "example")}</span> : null}
            <button
              type="button"
              className="link-button small"
              onClick={() => {
                setDraft("");
                update({ q: "", row: null, offset: 0 });
              }}
            >
              Clear
            </button>
          </div>
        ) : null}
        <div className="card-body card-body-flush">
          {examples.isPending ? (
            <Loading />
          ) : examples.isError ? (
            <ErrorNotice error={examples.error} title="Could not load examples" />
          ) : examples.data.items.length === 0 ? (
            <EmptyState title={q ? "No example matches" : "No examples in this split"}>
              {q ? `Nothing contains “${q}”${split ? ` in ${split}` : ""}.` : null}
            </EmptyState>
          ) : (
            <div className={examples.isPlaceholderData ? "is-refreshing" : undefined}>
              <ExamplesTable
                examples={examples.data.items}
                query={q}
                highlightRow={focusRow}
                previewHref={(example) => previewHref(example.number)}
              />
              <Pagination
                offset={offset}
                limit={PAGE_SIZE}
                total={examples.data.total}
                onChange={(next) => update({ offset: next })}
              />
            </div>
          )}
        </div>
      </section>
    </>
  );
}
