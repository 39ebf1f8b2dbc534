import { useQuery } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Link } from "react-router";
import type { EvaluationOut, JudgingOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { ApiError, fieldMessage } from "../../../lib/api";
import { formatNumber } from "../../../lib/format";
import { judgeQueries } from "../../../lib/judges";
import { useCanCreate } from "../../../lib/session";
import { useCancelJudging, useJudge, useJudgings } from "../api/judgings";

const STATUS_TEXT: Record<JudgingOut["status"], string> = {
  queued: "Queued",
  running: "Judging",
  succeeded: "Judged",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** The judge's 0–100 grade (stored ÷ 100, like every score) with its 95% interval over the judged answers. */
function Score({ evaluation }: { evaluation: EvaluationOut }) {
  const metric = evaluation.metrics.judge_score;
  if (metric?.value === null || metric?.value === undefined) return <span className="muted">—</span>;
  const grade = (value: number) => (value * 100).toFixed(1);
  return (
    <span data-testid="judge-score">
      <strong className="mono">{grade(metric.value)}</strong>
      <span className="muted small"> / 100</span>
      {metric.ci_low !== null && metric.ci_low !== undefined && metric.ci_high !== null && metric.ci_high !== undefined ? (
        <span className="muted small">
          {" "}
          · 95% CI {grade(metric.ci_low)}–{grade(metric.ci_high)}
        </span>
      ) : null}
    </span>
  );
}

function Status({ judging }: { judging: JudgingOut }) {
  const cancel = useCancelJudging();
  const active = judging.status === "queued" || judging.status === "running";
  return (
    <div className="judge-status">
      <span className={`badge badge-${judging.status}`} data-testid="judging-status" data-status={judging.status}>
        <span className="badge-dot" aria-hidden="true" />
        {STATUS_TEXT[judging.status]}
      </span>
      {active ? (
        <>
          <ProgressBar
            value={judging.total > 0 ? judging.done / judging.total : null}
            label={`${judging.done} of ${judging.total}`}
            testId="judging-progress"
          />
          <button
            type="button"
            className="btn btn-sm"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate(judging.id)}
            data-testid="judging-cancel"
          >
            Cancel
          </button>
        </>
      ) : null}
      {judging.error ? (
        <div className="field-error" data-testid="judging-error">
          {judging.error}
        </div>
      ) : null}
    </div>
  );
}

function Tokens({ judging }: { judging: JudgingOut }) {
  return (
    <span className="mono small" title="prompt + completion tokens, as the judge counted them">
      {formatNumber(judging.prompt_tokens)} + {formatNumber(judging.completion_tokens)}
    </span>
  );
}

function EvaluationRow({ label, evaluation }: { label: string; evaluation: EvaluationOut }) {
  const judgings = useJudgings(evaluation.id);
  const latest = judgings.data?.items.find((judging) => judging.kind === "score");
  return (
    <tr data-testid="judge-row" data-evaluation-id={evaluation.id}>
      <th scope="row">{label}</th>
      <td>
        <Score evaluation={evaluation} />
      </td>
      <td className="nowrap" data-testid="judge-counts">
        {latest ? `${latest.judged} of ${latest.total}` : "—"}
        {latest && latest.not_judged > 0 ? <span className="muted small"> · {latest.not_judged} not judged</span> : null}
      </td>
      <td className="nowrap">{latest ? <Tokens judging={latest} /> : "—"}</td>
      <td className="text-cell">{latest ? `${latest.judge_name} (${latest.judge_model})` : "—"}</td>
      <td>{latest ? <Status judging={latest} /> : <span className="muted">Not judged yet</span>}</td>
    </tr>
  );
}

/** The latest pairwise judging of `against` (A) and `view` (B): how often each answer was the better one. */
function PairwiseSummary({
  view,
  against,
  nameOf,
}: {
  view: EvaluationOut;
  against: EvaluationOut;
  nameOf: (evaluation: EvaluationOut) => string;
}) {
  const judgings = useJudgings(view.id);
  const pairwise = judgings.data?.items.find(
    (judging) =>
      judging.kind === "pairwise" && judging.evaluation_id === against.id && judging.versus_evaluation_id === view.id,
  );
  if (!pairwise) return null;
  return (
    <div className="judge-pairwise" data-testid="judge-pairwise">
      <div>
        <strong>Which answer is better</strong>{" "}
        <span className="muted small">(asked in both orders; when they disagree, a tie)</span>
      </div>
      <div className="mono" data-testid="judge-pairwise-counts">
        {nameOf(view)} {pairwise.b_wins} · {nameOf(against)} {pairwise.a_wins} · ties {pairwise.ties}
        {pairwise.not_judged > 0 ? ` · not judged ${pairwise.not_judged}` : ""}
      </div>
      <div className="muted small">
        {pairwise.judge_name} · <Tokens judging={pairwise} /> tokens
      </div>
      <Status judging={pairwise} />
    </div>
  );
}

function JudgeForm({
  view,
  against,
  onDone,
}: {
  view: EvaluationOut;
  against: EvaluationOut | null;
  onDone: () => void;
}) {
  const judges = useQuery(judgeQueries.list());
  const rubrics = useQuery(judgeQueries.rubrics());
  const judge = useJudge();
  const [judgeId, setJudgeId] = useState<number | null>(null);
  const [rubric, setRubric] = useState<string | null>(null);
  const [pairwise, setPairwise] = useState(true);
  const defaultRubric = rubrics.data?.score.text ?? "";
  const text = rubric ?? defaultRubric;
  const chosen = judgeId ?? judges.data?.items[0]?.id ?? null;
  const apiError = judge.error instanceof ApiError ? judge.error : null;
  const rubricError = apiError?.field === "rubric" ? fieldMessage(apiError) : null;

  if (judges.isError) return <ErrorNotice error={judges.error} title="Could not load your judges" />;
  if (judges.data?.items.length === 0) {
    return (
      <p className="muted" data-testid="judge-none">
        No judges yet: <Link to="/judges">add one on the Judges page</Link> (an OpenAI-compatible endpoint, or a
        base model in the studio).
      </p>
    );
  }

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (chosen === null) return;
    judge.mutate(
      {
        judgeId: chosen,
        rubric: rubric === null || rubric === defaultRubric ? null : rubric,
        evaluationIds: against ? [view.id, against.id] : [view.id],
        pair: pairwise && against ? [against.id, view.id] : null,
      },
      { onSuccess: onDone },
    );
  };

  return (
    <form className="form judge-panel-form" onSubmit={submit} noValidate data-testid="judge-form">
      <label htmlFor="judge-choice">Judge</label>
      <select
        id="judge-choice"
        className="select"
        value={chosen ?? ""}
        onChange={(event) => setJudgeId(Number(event.target.value))}
        data-testid="judge-choice"
      >
        {(judges.data?.items ?? []).map((item) => (
          <option key={item.id} value={item.id}>
            {item.name} ({item.model})
          </option>
        ))}
      </select>
      <label htmlFor="judge-rubric">
        Rubric{" "}
        <span className="muted small">
          with {(rubrics.data?.score.placeholders ?? []).map((name) => `{${name}}`).join(", ")}
        </span>
      </label>
      <textarea
        id="judge-rubric"
        className="textarea mono-text"
        rows={10}
        value={text}
        onChange={(event) => setRubric(event.target.value)}
        aria-invalid={rubricError ? true : undefined}
        data-testid="judge-rubric"
      />
      <FieldError>{rubricError}</FieldError>
      {rubric !== null && rubric !== defaultRubric ? (
        <button type="button" className="link-button small" onClick={() => setRubric(null)}>
          Back to the default rubric
        </button>
      ) : null}
      {against ? (
        <label className="small">
          <input
            type="checkbox"
            checked={pairwise}
            onChange={(event) => setPairwise(event.target.checked)}
            data-testid="judge-pairwise-toggle"
          />{" "}
          Also ask which of the two answers to each example is better (twice, the answers swapped)
        </label>
      ) : null}
      {judge.isError && !rubricError ? <ErrorNotice error={judge.error} title="Not judged" /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={judge.isPending || chosen === null} data-testid="judge-submit">
          {judge.isPending ? "Asking…" : against ? "Judge both" : "Judge"}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Close
        </button>
      </div>
      <p className="muted small">
        Judging again replaces the earlier judge scores. A reply without a score, a timeout or an HTTP error leaves an
        answer “not judged”, never 0.
      </p>
    </form>
  );
}

/**
 * An LLM judge's grades of the viewed evaluation's answers (and of the one it is compared with): the score with its
 * interval over the answers it judged, how many it could not judge, the tokens it took, its progress; which of the
 * two answers was better, when asked; and "Judge with…" to ask (again). Generated answers only: a benchmark's
 * choices are scored by likelihood.
 */
export function JudgePanel({
  view,
  against,
  nameOf,
}: {
  view: EvaluationOut;
  against: EvaluationOut | null;
  nameOf: (evaluation: EvaluationOut) => string;
}) {
  const canCreate = useCanCreate();
  const [open, setOpen] = useState(false);
  if (view.kind !== "generation" || (against !== null && against.kind !== "generation")) return null;
  return (
    <Card
      title="LLM judge"
      testId="judge-panel"
      actions={
        canCreate && !open ? (
          <button type="button" className="btn btn-sm" onClick={() => setOpen(true)} data-testid="judge-open">
            Judge with…
          </button>
        ) : null
      }
    >
      <div className="table-wrap">
        <table className="table judge-table">
          <thead>
            <tr>
              <th />
              <th>Score</th>
              <th>Judged</th>
              <th>Tokens</th>
              <th>Judge</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            <EvaluationRow label={nameOf(view)} evaluation={view} />
            {against ? <EvaluationRow label={nameOf(against)} evaluation={against} /> : null}
          </tbody>
        </table>
      </div>
      {against ? <PairwiseSummary view={view} against={against} nameOf={nameOf} /> : null}
      {open ? <JudgeForm view={view} against={against} onDone={() => setOpen(false)} /> : null}
    </Card>
  );
}
