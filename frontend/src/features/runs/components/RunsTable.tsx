import { useState } from "react";
import { Link, useNavigate } from "react-router";
import type { RunListItem } from "../../../client/types.gen";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import {
  formatDateTime,
  formatDuration,
  formatLoss,
  formatPercent,
  formatRelative,
  relativeChange,
} from "../../../lib/format";
import { verdictOf } from "../verdict";
import { RunStatusBadge } from "./RunStatusBadge";
import { RunTagsEditor } from "./RunTagsEditor";
import { Sparkline } from "./Sparkline";
import { type SortField, nextSort, parseSort } from "../sort";

type SortProps = { field: SortField; sort: string; onSort: (sort: string) => void; children: React.ReactNode };

function SortButton({ field, sort, onSort, children }: SortProps) {
  const { field: sorted, descending } = parseSort(sort);
  const active = sorted === field;
  return (
    <button
      type="button"
      className={active ? "th-sort th-sort-active" : "th-sort"}
      onClick={() => onSort(nextSort(sort, field))}
      data-testid={`sort-${field}`}
      data-sorted={active ? (descending ? "descending" : "ascending") : undefined}
    >
      {children}
      <span className="th-sort-arrow" aria-hidden="true">
        {active ? (descending ? "▼" : "▲") : "↕"}
      </span>
    </button>
  );
}

/** A column sorted by one field: aria-sort says how. */
function SortHeader({ className, title, ...props }: SortProps & { className?: string; title?: string }) {
  const { field: sorted, descending } = parseSort(props.sort);
  const active = sorted === props.field;
  return (
    <th className={className} aria-sort={active ? (descending ? "descending" : "ascending") : "none"} title={title}>
      <SortButton {...props} />
    </th>
  );
}

function Progress({ run }: { run: RunListItem }) {
  if (run.status === "queued") return <span className="muted small">waiting</span>;
  if (run.total_steps === null || run.step === null) return <span className="muted">—</span>;
  const eta = run.status === "running" && run.eta_seconds !== null ? ` · ${formatDuration(run.eta_seconds * 1000)} left` : "";
  return (
    <ProgressBar
      value={run.total_steps > 0 ? run.step / run.total_steps : null}
      label={`${run.step} of ${run.total_steps}${eta}`}
      testId="run-progress"
    />
  );
}

function BestLoss({ run }: { run: RunListItem }) {
  if (run.best_eval_loss === null) return <span className="muted">—</span>;
  const base = run.base_eval_loss;
  return (
    <span title={base === null ? undefined : `base model: ${formatLoss(base)}`}>
      <span className="mono">{formatLoss(run.best_eval_loss)}</span>
      {base !== null && base > 0 ? (
        <>
          {" "}
          <span className={`delta delta-${verdictOf(base, run.best_eval_loss)}`}>
            {formatPercent(relativeChange(base, run.best_eval_loss))}
          </span>
        </>
      ) : null}
    </span>
  );
}

function Headline({ run }: { run: RunListItem }) {
  if (run.rouge_l === null) return <span className="muted">—</span>;
  const change = run.rouge_l_change;
  const tone = change === null || Math.abs(change) < 0.005 ? "same" : change > 0 ? "better" : "worse";
  return (
    <span title="ROUGE-L on the test split, fine-tuned (change against the base model)">
      <span className="mono">{run.rouge_l.toFixed(3)}</span>{" "}
      {change !== null ? (
        <span className={`delta delta-${tone}`} data-testid="run-rouge-change">
          {change >= 0 ? "+" : "−"}
          {Math.abs(change).toFixed(3)}
        </span>
      ) : null}
    </span>
  );
}

export function RunsTable({
  runs,
  sort,
  onSort,
  onTag,
  canEdit,
  selected,
  onSelect,
}: {
  runs: RunListItem[];
  sort: string;
  onSort: (sort: string) => void;
  onTag: (tag: string) => void;
  canEdit: boolean;
  /** With onSelect: a checkbox per row, for actions on several runs at once. */
  selected?: ReadonlySet<number>;
  onSelect?: (ids: ReadonlySet<number>) => void;
}) {
  const navigate = useNavigate();
  const [editing, setEditing] = useState<number | null>(null);
  const header = { sort, onSort };
  const selectable = selected !== undefined && onSelect !== undefined;
  const allSelected = selectable && runs.length > 0 && runs.every((run) => selected.has(run.id));
  const toggle = (id: number) => {
    if (!selectable) return;
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    onSelect(next);
  };
  return (
    <div className="table-wrap runs-table-wrap">
      <table className="table table-clickable runs-table" data-testid="runs-table">
        <thead>
          <tr>
            {selectable ? (
              <th className="cell-select">
                <input
                  type="checkbox"
                  checked={allSelected}
                  onChange={() => onSelect(new Set(allSelected ? [] : runs.map((run) => run.id)))}
                  aria-label="Select every run on this page"
                  data-testid="select-all-runs"
                />
              </th>
            ) : null}
            <SortHeader field="name" {...header}>
              Run / dataset
            </SortHeader>
            <SortHeader field="status" {...header}>
              Status / progress
            </SortHeader>
            <th>
              <SortButton field="base_model" {...header}>
                Base model
              </SortButton>{" "}
              /{" "}
              <SortButton field="preset" {...header}>
                preset
              </SortButton>
            </th>
            <SortHeader
              field="best_val_loss"
              className="num"
              title="The best validation loss of the fine-tuned model, and its change from the base model's"
              {...header}
            >
              Best val loss
            </SortHeader>
            <th title="ROUGE-L on the test split, and its change against the base model">
              <SortButton field="rouge_l" {...header}>
                ROUGE-L
              </SortButton>{" "}
              <SortButton field="rouge_l_change" {...header}>
                vs base
              </SortButton>
            </th>
            <th>Training loss</th>
            <th>
              <SortButton field="created_at" {...header}>
                Created
              </SortButton>{" "}
              /{" "}
              <SortButton field="duration" {...header}>
                took
              </SortButton>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr
              key={run.id}
              data-testid="run-row"
              data-run-id={run.id}
              onClick={(event) => {
                if ((event.target as HTMLElement).closest("a,button,input,textarea,form")) return;
                void navigate(`/runs/${run.id}`);
              }}
            >
              {selectable ? (
                <td className="cell-select">
                  <input
                    type="checkbox"
                    checked={selected.has(run.id)}
                    onChange={() => toggle(run.id)}
                    aria-label={`Select ${run.name}`}
                    data-testid="select-run"
                  />
                </td>
              ) : null}
              <td className="cell-run">
                <div className="truncate" title={run.name}>
                  <Link to={`/runs/${run.id}`} className="strong-link" data-testid="run-row-name">
                    {run.name}
                  </Link>
                  <span className="muted id-suffix">#{run.id}</span>
                </div>
                <div className="run-tags small" data-testid="run-tags">
                  <Link
                    to={`/datasets/${run.dataset_id}`}
                    className="muted-link truncate"
                    title={run.dataset_name}
                    data-testid="run-row-dataset"
                  >
                    {run.dataset_name}
                  </Link>
                  {run.tags.map((tag) => (
                    <button
                      key={tag}
                      type="button"
                      className="tag"
                      title={`Only runs tagged “${tag}”`}
                      onClick={() => onTag(tag)}
                      data-testid="run-tag"
                    >
                      {tag}
                    </button>
                  ))}
                  {canEdit && editing !== run.id ? (
                    <button
                      type="button"
                      className="btn-link run-tags-edit"
                      onClick={() => setEditing(run.id)}
                      data-testid="run-tags-edit"
                      title="Tags and note"
                      aria-label={`Edit the tags and note of ${run.name}`}
                    >
                      ✎
                    </button>
                  ) : null}
                </div>
                {editing === run.id ? (
                  <RunTagsEditor run={run} onDone={() => setEditing(null)} />
                ) : run.note ? (
                  <div className="run-note small muted truncate" title={run.note} data-testid="run-note">
                    {run.note}
                  </div>
                ) : null}
              </td>
              <td className="cell-progress">
                <RunStatusBadge status={run.status} testId="run-row-status" />
                <Progress run={run} />
              </td>
              <td className="cell-model">
                <div className="mono small truncate" title={run.base_model}>
                  {run.base_model}
                </div>
                <div className="small muted truncate">{run.preset_name ?? "no preset"}</div>
              </td>
              <td className="num nowrap" data-testid="run-best-loss" data-value={run.best_eval_loss ?? ""}>
                <BestLoss run={run} />
              </td>
              <td className="nowrap">
                <Headline run={run} />
              </td>
              <td className="cell-sparkline">
                <Sparkline values={run.loss_sparkline} />
              </td>
              <td className="nowrap">
                <div title={formatDateTime(run.created_at)}>{formatRelative(run.created_at)}</div>
                <div className="small muted">
                  {run.duration_seconds === null ? "—" : formatDuration(run.duration_seconds * 1000)}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
