import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { EvaluationOut, RunOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { DownloadButton } from "../../../components/ui/DownloadButton";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { EmptyState, Loading } from "../../../components/ui/States";
import { EXPORT_FORMATS, evaluationExportUrl } from "../../../lib/evaluations";
import { useCanCreate } from "../../../lib/session";
import { benchmarkQueries, isUnfinished, useCancelBenchmarkEvaluations, useRunBenchmark } from "../api/queries";
import { BenchmarkComparison } from "./BenchmarkComparison";

/** The newest base and fine-tuned (final weights) evaluations of one benchmark. */
function latestPair(evaluations: EvaluationOut[], benchmarkId: number | null) {
  const of = evaluations.filter((e) => e.benchmark_id === benchmarkId);
  return {
    base: of.findLast((e) => e.model === "base"),
    tuned: of.findLast((e) => e.model === "fine_tuned" && e.checkpoint_step === null),
  };
}

function Status({ base, tuned, runId }: { base: EvaluationOut; tuned: EvaluationOut; runId: number }) {
  const cancel = useCancelBenchmarkEvaluations(runId);
  const unfinished = [base, tuned].filter(isUnfinished);
  if (unfinished.length > 0) {
    return (
      <div className="mc-status" data-testid="benchmark-progress">
        <span className="pulse" aria-hidden="true" />
        <span>
          Scoring… base model {base.done} of {base.total} · fine-tuned {tuned.done} of {tuned.total}
        </span>
        <button
          type="button"
          className="btn btn-sm"
          disabled={cancel.isPending || unfinished.every((e) => e.cancel_requested)}
          onClick={() => cancel.mutate(unfinished.map((e) => e.id))}
        >
          Cancel
        </button>
        {cancel.isError ? <ErrorNotice error={cancel.error} title="Could not cancel" /> : null}
      </div>
    );
  }
  const stopped = [base, tuned].find((e) => e.status !== "succeeded");
  if (stopped) {
    return (
      <div className="notice" data-testid="benchmark-stopped">
        <div className="notice-title">
          The {stopped.model === "base" ? "base model's" : "fine-tuned model's"} scoring {stopped.status}
        </div>
        {stopped.error ? <pre className="notice-pre">{stopped.error}</pre> : null}
      </div>
    );
  }
  return <BenchmarkComparison baseId={base.id} tunedId={tuned.id} />;
}

const DOWNLOAD_TITLE =
  "Every question with its choices, the right one, the model's picks (acc and acc_norm) and each choice's log-likelihood";

/** Each model's answers so far as a file: every question with its choices, the right one, the picks and the
 * log-likelihoods. */
function Downloads({ base, tuned }: { base: EvaluationOut; tuned: EvaluationOut }) {
  const answered = [base, tuned].filter((e) => e.done > 0);
  if (answered.length === 0) return null;
  return (
    <div className="mc-downloads" data-testid="benchmark-downloads">
      <span className="muted small">Answers:</span>
      {answered.map((evaluation) => (
        <span key={evaluation.id} className="mc-download-group">
          <span className="small">{evaluation.model === "base" ? "base model" : "fine-tuned"}</span>
          {EXPORT_FORMATS.map((format) => (
            <DownloadButton
              key={format}
              href={evaluationExportUrl(evaluation.id, format)}
              testId={`benchmark-export-${evaluation.model}-${format}`}
              title={`${DOWNLOAD_TITLE}, as ${format.toUpperCase()}`}
            >
              {format.toUpperCase()}
            </DownloadButton>
          ))}
        </span>
      ))}
    </div>
  );
}

function Body({ runId }: { runId: number }) {
  const benchmarks = useQuery(benchmarkQueries.list());
  const evaluations = useQuery(benchmarkQueries.runEvaluations(runId));
  const [picked, setPicked] = useState<number | null>(null);
  const canCreate = useCanCreate();
  const start = useRunBenchmark(runId);
  if (benchmarks.isPending || evaluations.isPending) return <Loading />;
  if (benchmarks.isError) return <ErrorNotice error={benchmarks.error} title="Could not load the benchmarks" />;
  if (evaluations.isError) return <ErrorNotice error={evaluations.error} title="Could not load the scores" />;
  const items = benchmarks.data.items;
  if (items.length === 0) {
    return (
      <EmptyState title="No benchmarks yet">
        Upload a multiple-choice set (MMLU-style) on the <Link to="/benchmarks">Benchmarks</Link> page to see whether
        fine-tuning kept the base model's general skills.
      </EmptyState>
    );
  }
  // The benchmark this run was last scored on, else the newest one.
  const selected = picked ?? evaluations.data.at(-1)?.benchmark_id ?? items[0]?.id ?? null;
  const { base, tuned } = latestPair(evaluations.data, selected);
  const busy = start.isPending || (base !== undefined && isUnfinished(base)) || (tuned !== undefined && isUnfinished(tuned));
  return (
    <>
      <div className="mc-controls">
        <label className="mc-select">
          <span className="muted small">Benchmark</span>
          <select
            className="input"
            value={selected ?? ""}
            onChange={(event) => setPicked(Number(event.target.value))}
            data-testid="benchmark-select"
          >
            {items.map((benchmark) => (
              <option key={benchmark.id} value={benchmark.id}>
                {benchmark.name} ({benchmark.num_questions} questions)
              </option>
            ))}
          </select>
        </label>
        {canCreate && selected !== null ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => start.mutate(selected)}
            data-testid="run-benchmark"
            title="Two evaluations on a training worker: the base model (unquantised) and the fine-tuned final weights"
          >
            {base && tuned ? "Score again" : "Score base and fine-tuned"}
          </button>
        ) : null}
      </div>
      {start.isError ? <ErrorNotice error={start.error} title="Could not start the scoring" /> : null}
      {base && tuned ? (
        <>
          <Status base={base} tuned={tuned} runId={runId} />
          <Downloads base={base} tuned={tuned} />
        </>
      ) : (
        <p className="muted small" data-testid="benchmark-not-run">
          Not scored on this benchmark yet. Each question's choices are ranked by the model's log-likelihood of each
          (lm-evaluation-harness's acc, and acc_norm per character), for the base model and the fine-tuned one.
        </p>
      )}
    </>
  );
}

/** "Did fine-tuning break general skills?": a benchmark scored for the base and the fine-tuned model. */
export function BenchmarkCard({ run }: { run: RunOut }) {
  if (run.status !== "succeeded") return null;
  return (
    <Card title="Benchmark: base vs fine-tuned" testId="benchmark-card">
      <Body runId={run.id} />
    </Card>
  );
}
