import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import type { RunStatus } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Pagination } from "../components/ui/Pagination";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { presetQueries } from "../features/presets/api/queries";
import { type RunListParams, runQueries } from "../features/runs/api/queries";
import { BulkDeleteRuns } from "../features/runs/components/BulkDeleteRuns";
import { RunFilters, type RunFilterValues } from "../features/runs/components/RunFilters";
import { RunsTable } from "../features/runs/components/RunsTable";
import { MAX_COMPARED, MIN_COMPARED, compareUrl } from "../features/runs/compare";
import { parseSort, type RunSort } from "../features/runs/sort";
import { useCanCreate } from "../lib/session";

const PAGE_SIZE = 50;
const STATUSES = new Set<string>(["queued", "running", "succeeded", "failed", "cancelled"]);

function positive(value: string | null): number | null {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : null;
}

/** The filters, sort and page live in the URL: a list can be shared, and Back returns to it as it was. */
function readParams(params: URLSearchParams): RunFilterValues & { sort: RunSort; offset: number } {
  const { field, descending } = parseSort(params.get("sort") ?? "-created_at");
  return {
    status: (params.get("status") ?? "").split(",").filter((s): s is RunStatus => STATUSES.has(s)),
    dataset_id: positive(params.get("dataset_id")),
    base_model: params.get("base_model") || null,
    preset_id: positive(params.get("preset_id")),
    tag: params.get("tag") || null,
    q: params.get("q") ?? "",
    sort: descending ? `-${field}` : field,
    offset: Math.max(0, Number(params.get("offset")) || 0),
  };
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const state = readParams(params);
  const query: RunListParams = {
    ...(state.status.length ? { status: [state.status.join(",")] } : {}),
    ...(state.dataset_id ? { dataset_id: state.dataset_id } : {}),
    ...(state.base_model ? { base_model: state.base_model } : {}),
    ...(state.preset_id ? { preset_id: state.preset_id } : {}),
    ...(state.tag ? { tag: state.tag } : {}),
    ...(state.q ? { q: state.q } : {}),
    sort: state.sort,
    limit: PAGE_SIZE,
    offset: state.offset,
  };
  const runs = useQuery(runQueries.list(query));
  const datasets = useQuery(datasetQueries.list());
  const presets = useQuery(presetQueries.list());
  const canCreate = useCanCreate();
  const navigate = useNavigate();
  // Ticked runs, in the order ticked (the compare page's column order), kept while the list is paged or filtered.
  const [selected, setSelected] = useState<number[]>([]);
  const select = (ticked: ReadonlySet<number>) =>
    setSelected((current) => [...current.filter((id) => ticked.has(id)), ...[...ticked].filter((id) => !current.includes(id))]);
  const comparable = selected.length >= MIN_COMPARED && selected.length <= MAX_COMPARED;
  // Deleting acts only on what is on screen: a run on another page or filtered out is not deleted unseen.
  const shown = new Set((runs.data?.items ?? []).map((run) => run.id));
  const selectedShown = selected.filter((id) => shown.has(id));

  /** Any change but the page's own goes back to the first page. */
  const update = (next: Partial<RunFilterValues & { sort: string; offset: number }>) => {
    const merged = { ...state, offset: 0, ...next };
    const search = new URLSearchParams();
    if (merged.status.length) search.set("status", merged.status.join(","));
    if (merged.dataset_id) search.set("dataset_id", String(merged.dataset_id));
    if (merged.base_model) search.set("base_model", merged.base_model);
    if (merged.preset_id) search.set("preset_id", String(merged.preset_id));
    if (merged.tag) search.set("tag", merged.tag);
    if (merged.q) search.set("q", merged.q);
    if (merged.sort !== "-created_at") search.set("sort", merged.sort);
    if (merged.offset > 0) search.set("offset", String(merged.offset));
    setParams(search, { replace: true });
  };

  const filtered = [state.dataset_id, state.base_model, state.preset_id, state.tag].some(Boolean) ||
    state.status.length > 0 ||
    state.q !== "";
  return (
    <>
      <PageHeader
        title="Runs"
        subtitle="Every fine-tuning run, judged by its validation loss and ROUGE-L against the base model's."
        actions={
          <>
            <button
              type="button"
              className="btn"
              disabled={!comparable}
              title={
                comparable
                  ? "Their curves, settings and metrics side by side"
                  : `Tick ${MIN_COMPARED} to ${MAX_COMPARED} runs to compare them`
              }
              onClick={() => void navigate(compareUrl(selected))}
              data-testid="compare-runs"
            >
              Compare ({selected.length})
            </button>
            {canCreate ? (
              <Link to="/runs/new" className="btn btn-primary" data-testid="new-run-link">
                New run
              </Link>
            ) : null}
          </>
        }
      />
      <Card flush>
        <RunFilters
          values={state}
          onChange={update}
          datasets={datasets.data?.items ?? []}
          presets={presets.data?.items ?? []}
        />
        {/* Outside the list: its report stays when the deletion emptied the page. */}
        {canCreate ? (
          <BulkDeleteRuns
            selected={selectedShown}
            onDeleted={(ids) => setSelected((old) => old.filter((id) => !ids.includes(id)))}
          />
        ) : null}
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorNotice error={runs.error} title="Could not load runs" />
        ) : runs.data.items.length === 0 ? (
          filtered ? (
            <EmptyState title="No run matches these filters">Clear a filter or search for something else.</EmptyState>
          ) : (
            <EmptyState title="No runs yet">
              {canCreate ? (
                <>
                  <Link to="/runs/new">Start a run</Link> on one of your <Link to="/datasets">datasets</Link>.
                </>
              ) : null}
            </EmptyState>
          )
        ) : (
          <>
            <RunsTable
              runs={runs.data.items}
              sort={state.sort}
              onSort={(sort) => update({ sort })}
              onTag={(tag) => update({ tag })}
              canEdit={canCreate}
              selected={new Set(selected)}
              onSelect={(ticked) => {
                // The table ticks within its page: runs ticked on other pages stay ticked.
                const offPage = selected.filter((id) => !shown.has(id));
                select(new Set([...offPage, ...ticked]));
              }}
            />
            <Pagination
              offset={state.offset}
              limit={PAGE_SIZE}
              total={runs.data.total}
              onChange={(offset) => update({ offset })}
            />
          </>
        )}
      </Card>
    </>
  );
}
