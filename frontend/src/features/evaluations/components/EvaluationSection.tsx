import { useQuery } from "@tanstack/react-query";
import type { EvaluationOut, RunStatus } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { evaluationQueries, useRunEvaluation } from "../api/queries";
import { ExampleComparisonTable } from "./ExampleComparisonTable";
import { JudgePanel } from "./JudgePanel";
import { MetricCards } from "./MetricCards";

function Examples({ tuned, base, metrics }: { tuned: EvaluationOut; base: EvaluationOut; metrics: string[] }) {
  const tunedAnswers = useQuery(evaluationQueries.predictions(tuned.id));
  const baseAnswers = useQuery(evaluationQueries.predictions(base.id));
  if (tunedAnswers.isPending || baseAnswers.isPending) return <Loading />;
  if (tunedAnswers.isError) return <ErrorNotice error={tunedAnswers.error} title="Could not load the answers" />;
  if (baseAnswers.isError) return <ErrorNotice error={baseAnswers.error} title="Could not load the answers" />;
  return (
    <ExampleComparisonTable
      tuned={tunedAnswers.data.items}
      base={baseAnswers.data.items}
      metrics={metrics}
      total={Math.min(tunedAnswers.data.total, baseAnswers.data.total)}
    />
  );
}

/**
 * The run's scored answers on the test split, base → fine-tuned: a card per metric, then every example. Shown once
 * both evaluations are scored; until then the headline says what is happening.
 */
export function EvaluationSection({ runId, runStatus }: { runId: number; runStatus: RunStatus }) {
  const state = useRunEvaluation(runId, runStatus);
  if (state.kind !== "ready") return null;
  const { comparison, tuned, base } = state;
  const decoding = typeof tuned.decoding.strategy === "string" ? `${tuned.decoding.strategy} decoding` : null;
  return (
    <>
      <Card
        title="Evaluation: fine-tuned vs base model"
        testId="evaluation"
        actions={
          <span className="muted small">
            {comparison.examples} test examples{decoding ? ` · ${decoding}` : ""} · 95% paired bootstrap intervals
          </span>
        }
      >
        <MetricCards comparison={comparison} />
      </Card>
      <JudgePanel tuned={tuned} base={base} />
      <Card
        title="Answers, example by example"
        flush
        testId="evaluation-examples"
        actions={<span className="muted small">base → fine-tuned</span>}
      >
        <Examples tuned={tuned} base={base} metrics={comparison.metrics.map((m) => m.name)} />
      </Card>
    </>
  );
}
