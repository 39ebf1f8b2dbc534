import { useState } from "react";
import { Link, useNavigate } from "react-router";
import type { RunListItem } from "../../../client/types.gen";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { formatDateTime, formatDuration, formatLoss, formatRelative } from "../../../lib/format";
import { LossDelta } from "./LossDelta";
import { RunStatusBadge } from "./RunStatusBadge";
import { RunTagsEditor } from "./RunTagsEditor";
import { Sparkline } from "./Sparkline";
import { type SortField, nextSort, parseSort } from "../sort";

function SortHeader({
  field,
  sort,
  onSort,
  className,
  title,
  children,
}: {
  field: SortField;
  sort: string;
  onSort: (sort: string) => void;
  className?: string;
  title?: string;
  children: React.ReactNode;
}) {
  const { field: sorted, descending } = parseSort(sort);
  const active = sorted === field;
  return (
    <th className={className} aria-sort={active ? (descending ? "descending" : "ascending") : "none"} title={title}>
      <button
        type="button"
        className={active ? "th-sort th-sort-active" : "th-sort"}
        onClick={() => onSort(nextSort(sort, field))}
        data-testid={`sort-${field}`}
      >
        {children}
        <span className="th-sort-arrow" aria-hidden="true">
          {active ? (descending ? "▼" : "▲") : "↕"}
        </span>
      </button>
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
}: {
  runs: RunListItem[];
  sort: string;
  onSort: (sort: string) => void;
  onTag: (tag: string) => void;
  canEdit: boolean;
}) {
  const navigate = useNavigate();
  const [editing, setEditing] = useState<number | null>(null);
  const header = { sort, onSort };
  return (
    <div className="table-wrap runs-table-wrap">
      <table className="table table-clickable runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <SortHeader field="name" {...header}>
              Run / dataset
            </SortHeader>
            <SortHeader field="status" {...header}>
              Status
            </SortHeader>
            <th>Progress</th>
            <SortHeader field="base_model" {...header}>
              Base model
            </SortHeader>
            <SortHeader field="preset" {...header}>
              Preset
            </SortHeader>
            <SortHeader
              field="best_val_loss"
              className="num"
              title="Validation loss of the base model → the best of the fine-tuned model"
              {...header}
            >
              Val loss: base → best
            </SortHeader>
            <SortHeader field="rouge_l_change" title="ROUGE-L on the test split, and its change against the base model" {...header}>
              ROUGE-L (vs base)
            </SortHeader>
            <th>Training loss</th>
            <SortHeader field="created_at" {...header}>
              Created
            </SortHeader>
            <SortHeader field="duration" className="num" {...header}>
              Duration
            </SortHeader>
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
              <td className="cell-run">
                <div className="truncate" title={run.name}>
                  <Link to={`/runs/${run.id}`} className="strong-link" data-testid="run-row-name">
                    {run.name}
                  </Link>
                  <span className="muted id-suffix">#{run.id}</span>
                </div>
                <div className="truncate small" title={run.dataset_name}>
                  <Link to={`/datasets/${run.dataset_id}`} className="muted-link" data-testid="run-row-dataset">
                    {run.dataset_name}
                  </Link>
                </div>
                {editing === run.id ? (
                  <RunTagsEditor run={run} onDone={() => setEditing(null)} />
                ) : (
                  <div className="run-tags" data-testid="run-tags">
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
                    {run.note ? (
                      <span className="run-note small muted truncate" title={run.note} data-testid="run-note">
                        {run.note}
                      </span>
                    ) : null}
                    {canEdit ? (
                      <button
                        type="button"
                        className="btn-link small"
                        onClick={() => setEditing(run.id)}
                        data-testid="run-tags-edit"
                        aria-label={`Edit the tags and note of ${run.name}`}
                      >
                        {run.tags.length || run.note ? "edit" : "+ tag or note"}
                      </button>
                    ) : null}
                  </div>
                )}
              </td>
              <td className="nowrap">
                <RunStatusBadge status={run.status} testId="run-row-status" />
              </td>
              <td className="cell-progress">
                <Progress run={run} />
              </td>
              <td className="nowrap">
                <span className="mono small">{run.base_model}</span>
              </td>
              <td className="nowrap small">{run.preset_name ?? <span className="muted">—</span>}</td>
              <td className="num nowrap" data-testid="run-best-loss" data-value={run.best_eval_loss ?? ""}>
                {run.base_eval_loss !== null ? (
                  <LossDelta base={run.base_eval_loss} value={run.best_eval_loss} />
                ) : (
                  <span className="mono">{formatLoss(run.best_eval_loss)}</span>
                )}
              </td>
              <td className="nowrap">
                <Headline run={run} />
              </td>
              <td className="cell-sparkline">
                <Sparkline values={run.loss_sparkline} />
              </td>
              <td className="nowrap" title={formatDateTime(run.created_at)}>
                {formatRelative(run.created_at)}
              </td>
              <td className="num nowrap">
                {run.duration_seconds === null ? "—" : formatDuration(run.duration_seconds * 1000)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
