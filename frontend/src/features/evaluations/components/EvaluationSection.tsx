import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import type { CheckpointOut, DatasetOut, EvaluationOut, RunOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { EmptyState, Loading } from "../../../components/ui/States";
import { predictionsQuery } from "../../../lib/evaluations";
import { useCanCreate } from "../../../lib/session";
import { automaticPair, evaluationQueries } from "../api/queries";
import { decodingSummary, splitLabel } from "../../../lib/evaluationText";
import { evaluationLabel } from "../format";
import { EvaluateDialog } from "./EvaluateDialog";
import { EvaluationList } from "./EvaluationList";
import { ExampleComparisonTable } from "./ExampleComparisonTable";
import { JudgePanel } from "./JudgePanel";
import { MetricCards, MetricValues } from "./MetricCards";

/** Two evaluations can be compared when they answered the same examples. */
function sameExamples(a: EvaluationOut, b: EvaluationOut): boolean {
  return a.dataset_id === b.dataset_id && a.split === b.split && a.total === b.total;
}

/** What to compare an evaluation with first: the other model on the same examples, its final weights first. */
function defaultAgainst(view: EvaluationOut, options: EvaluationOut[]): EvaluationOut | null {
  const others = options.filter((e) => e.model !== view.model);
  return others.find((e) => e.checkpoint_step === null) ?? others[0] ?? null;
}

type Choice = { view: number; against: number | null };

function Examples({
  view,
  against,
  labels,
  metrics,
}: {
  view: EvaluationOut;
  against: EvaluationOut | null;
  labels: { answer: string; other: string };
  metrics: string[];
}) {
  const answers = useQuery(predictionsQuery(view.id));
  const other = useQuery({ ...predictionsQuery(against?.id ?? 0), enabled: against !== null });
  if (answers.isPending || (against && other.isPending)) return <Loading />;
  if (answers.isError) return <ErrorNotice error={answers.error} title="Could not load the answers" />;
  if (against && other.isError) return <ErrorNotice error={other.error} title="Could not load the answers" />;
  return (
    <ExampleComparisonTable
      key={`${view.id}-${against?.id ?? "alone"}`}
      answers={answers.data.items}
      against={against && other.data ? other.data.items : null}
      labels={labels}
      metrics={metrics}
      total={Math.min(answers.data.total, against && other.data ? other.data.total : Infinity)}
    />
  );
}

/** The viewed evaluation's scores (against the compared one's, with intervals) and every example. */
function Results({
  view,
  against,
  nameOf,
  datasetName,
  picker,
}: {
  view: EvaluationOut;
  against: EvaluationOut | null;
  nameOf: (evaluation: EvaluationOut) => string;
  datasetName: string;
  /** Where the viewed and the compared evaluation are chosen. */
  picker: ReactNode;
}) {
  const comparison = useQuery({
    ...evaluationQueries.compare(against?.id ?? 0, view.id),
    enabled: against !== null,
  });
  const viewName = nameOf(view);
  const againstName = against ? nameOf(against) : "";
  const metrics = against && comparison.data ? comparison.data.metrics.map((m) => m.name) : Object.keys(view.metrics);
  return (
    <>
      <Card title={against ? `Scores: ${viewName} vs ${againstName}` : `Scores: ${viewName}`} testId="evaluation">
        {picker}
        <div className="muted small eval-results-note">
          {datasetName} · {splitLabel(view.split)} · {view.total} examples · {decodingSummary(view.decoding)}
          {against ? " · 95% paired bootstrap intervals" : " · 95% bootstrap intervals"}
        </div>
        {against === null ? (
          <MetricValues evaluation={view} />
        ) : comparison.isPending ? (
          <Loading />
        ) : comparison.isError ? (
          <ErrorNotice error={comparison.error} title="Could not compare the evaluations" />
        ) : (
          <MetricCards comparison={comparison.data} labels={{ a: againstName, b: viewName }} />
        )}
      </Card>
      <JudgePanel view={view} against={against} nameOf={nameOf} />
      <Card
        title="Answers, example by example"
        flush
        testId="evaluation-examples"
        actions={<span className="muted small">{against ? `${againstName} → ${viewName}` : viewName}</span>}
      >
        <Examples view={view} against={against} labels={{ answer: viewName, other: againstName }} metrics={metrics} />
      </Card>
    </>
  );
}

/**
 * A succeeded run's evaluations: the list (with progress while one answers) and "Evaluate…" for another checkpoint,
 * dataset or decoding; then the scores of the one viewed against the one it is compared with, a card per metric,
 * and every example. By default the automatic pair: the fine-tuned model's final weights against the base model.
 */
export function EvaluationSection({
  run,
  checkpoints,
  datasets,
}: {
  run: RunOut;
  checkpoints: CheckpointOut[];
  datasets: DatasetOut[];
}) {
  const succeeded = run.status === "succeeded";
  const list = useQuery({ ...evaluationQueries.forRun(run.id), enabled: succeeded });
  const canCreate = useCanCreate();
  const [choice, setChoice] = useState<Choice | null>(null);
  if (!succeeded) return null;

  // Multiple-choice evaluations have their own card (features/benchmarks): here, the generated answers.
  const items = (list.data?.items ?? []).filter((e) => e.kind === "generation");
  const scored = items.filter((e) => e.status === "succeeded");
  const pair = automaticPair(items);
  const view =
    choice === null ? (pair.tuned?.status === "succeeded" ? pair.tuned : undefined) : scored.find((e) => e.id === choice.view);
  const options = view ? scored.filter((e) => e.id !== view.id && sameExamples(e, view)) : [];
  const against =
    choice === null
      ? (options.find((e) => e.id === pair.base?.id) ?? null)
      : (options.find((e) => e.id === choice.against) ?? null);
  // The automatic pair by their plain names; any other evaluation by its number.
  const names = new Map<number, string>();
  if (pair.tuned) names.set(pair.tuned.id, "fine-tuned");
  if (pair.base) names.set(pair.base.id, "base model");
  const nameOf = (e: EvaluationOut) => names.get(e.id) ?? evaluationLabel(e);
  const datasetName = (id: number | null) => datasets.find((d) => d.id === id)?.name ?? `dataset #${id ?? "?"}`;
  const viewEvaluation = (e: EvaluationOut) =>
    setChoice({ view: e.id, against: defaultAgainst(e, scored.filter((o) => o.id !== e.id && sameExamples(o, e)))?.id ?? null });

  const picker = view ? (
    <div className="eval-picker" data-testid="evaluation-picker">
      <label className="eval-toolbar-field">
        <span className="muted small">Scores of</span>
        <select
          className="select eval-select"
          value={view.id}
          onChange={(event) => {
            const next = scored.find((e) => e.id === Number(event.target.value));
            if (next) viewEvaluation(next);
          }}
          data-testid="evaluation-view-select"
        >
          {scored.map((e) => (
            <option key={e.id} value={e.id}>
              {nameOf(e)} · {datasetName(e.dataset_id)}, {splitLabel(e.split)}
            </option>
          ))}
        </select>
      </label>
      <label className="eval-toolbar-field">
        <span className="muted small">compared with</span>
        <select
          className="select eval-select"
          value={against?.id ?? ""}
          onChange={(event) =>
            setChoice({ view: view.id, against: event.target.value === "" ? null : Number(event.target.value) })
          }
          data-testid="evaluation-against-select"
        >
          <option value="">nothing (this evaluation alone)</option>
          {options.map((e) => (
            <option key={e.id} value={e.id}>
              {nameOf(e)} · {decodingSummary(e.decoding)}
            </option>
          ))}
        </select>
      </label>
    </div>
  ) : null;

  return (
    <>
      <Card
        title="Evaluations"
        flush
        testId="evaluations"
        actions={canCreate ? <EvaluateDialog run={run} checkpoints={checkpoints} datasets={datasets} /> : null}
      >
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorNotice error={list.error} title="Could not load the evaluations" />
        ) : items.length === 0 ? (
          <EmptyState title="No evaluation yet">
            This run finished before the studio scored answers. “Evaluate…” has its model answer a dataset’s examples.
          </EmptyState>
        ) : (
          <EvaluationList
            runId={run.id}
            evaluations={items}
            fetchedAt={list.dataUpdatedAt}
            datasets={datasets}
            viewedId={view?.id ?? null}
            onView={viewEvaluation}
          />
        )}
      </Card>
      {view ? (
        <Results
          key={`${view.id}-${against?.id ?? "alone"}`}
          view={view}
          against={against}
          nameOf={nameOf}
          datasetName={datasetName(view.dataset_id)}
          picker={picker}
        />
      ) : null}
    </>
  );
}
