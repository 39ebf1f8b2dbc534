import { useState } from "react";
import type { BaseModelOut, JudgeOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { formatRelative, formatDateTime } from "../../../lib/format";
import { useCheckJudge, useUpdateJudge } from "../api/queries";
import { JudgeForm } from "./JudgeForm";

function CheckResult({ check }: { check: ReturnType<typeof useCheckJudge> }) {
  if (check.isError) return <ErrorNotice error={check.error} title="The test did not run" />;
  if (!check.data) return null;
  const { ok, detail, reply, seconds } = check.data;
  return (
    <div className={`notice ${ok ? "notice-success" : "notice-error"}`} role="status" data-testid="judge-check">
      <div className="notice-title">
        {ok ? "It works" : "It does not work yet"} <span className="muted small">({seconds.toFixed(1)} s)</span>
      </div>
      <div className="notice-message">{detail}</div>
      {reply ? <pre className="notice-pre judge-reply">{reply}</pre> : null}
    </div>
  );
}

function JudgeRow({
  judge,
  models,
  deleting,
  onDelete,
}: {
  judge: JudgeOut;
  models: BaseModelOut[];
  deleting: boolean;
  onDelete: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const update = useUpdateJudge(judge.id);
  const check = useCheckJudge();
  const where = judge.kind === "openai" ? `${judge.model} at ${judge.base_url ?? ""}` : `${judge.model} (in the studio)`;
  return (
    <>
      <tr data-testid="judge-row" data-judge-id={judge.id}>
        <td>
          <strong>{judge.name}</strong>
        </td>
        <td className="mono small text-cell">{where}</td>
        <td className="nowrap" data-testid="judge-key">
          {judge.kind === "base_model" ? "—" : judge.has_api_key ? "stored" : "none"}
        </td>
        <td className="nowrap" title={formatDateTime(judge.updated_at)}>
          {formatRelative(judge.updated_at)}
        </td>
        <td className="num nowrap">
          <div className="judge-actions">
            <button
              type="button"
              className="btn btn-sm"
              disabled={check.isPending}
              onClick={() => check.mutate(judge.id)}
              data-testid="judge-test"
            >
              {check.isPending ? "Testing…" : "Test"}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setEditing(!editing)} data-testid="judge-edit">
              {editing ? "Close" : "Edit"}
            </button>
            <button
              type="button"
              className="btn btn-sm btn-danger"
              disabled={deleting}
              onClick={onDelete}
              data-testid="judge-delete"
            >
              {deleting ? "Deleting…" : "Delete"}
            </button>
          </div>
        </td>
      </tr>
      {check.data || check.isError ? (
        <tr>
          <td colSpan={5}>
            <CheckResult check={check} />
          </td>
        </tr>
      ) : null}
      {editing ? (
        <tr>
          <td colSpan={5}>
            <JudgeForm
              judge={judge}
              models={models}
              pending={update.isPending}
              error={update.error}
              onUpdate={(body) => update.mutate(body, { onSuccess: () => setEditing(false) })}
              onCancel={() => setEditing(false)}
            />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function JudgesTable({
  judges,
  models,
  deletingId,
  onDelete,
}: {
  judges: JudgeOut[];
  models: BaseModelOut[];
  deletingId: number | null;
  onDelete: (judge: JudgeOut) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="judges-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Model</th>
            <th>API key</th>
            <th>Changed</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {judges.map((judge) => (
            <JudgeRow
              key={judge.id}
              judge={judge}
              models={models}
              deleting={deletingId === judge.id}
              onDelete={() => onDelete(judge)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
