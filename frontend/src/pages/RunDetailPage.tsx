import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { RunOut } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { BenchmarkCard } from "../features/benchmarks/components/BenchmarkCard";
import { datasetQueries } from "../features/datasets/api/queries";
import { EvaluationHeadline } from "../features/evaluations/components/EvaluationHeadline";
import { useRunEvaluation } from "../features/evaluations/api/queries";
import { EvaluationSection } from "../features/evaluations/components/EvaluationSection";
import { RunReviewCard } from "../features/reviews/components/RunReviewCard";
import { isActive, runQueries, useCancelRun, useCloneRun, useDeleteRun, useResumeRun } from "../features/runs/api/queries";
import { useRunEvents, useSettleOnFinish } from "../features/runs/api/useRunEvents";
import { ArtifactLinks } from "../features/runs/components/ArtifactLinks";
import { BaseComparison } from "../features/runs/components/BaseComparison";
import { CheckpointsTable } from "../features/runs/components/CheckpointsTable";
import { CompareWithDialog } from "../features/runs/components/CompareWithDialog";
import { Collapsible, KeyValueGrid } from "../features/runs/components/ConfigPanel";
import { MemoryComparison } from "../features/runs/components/MemoryComparison";
import { NotifyWhenFinished } from "../features/runs/components/NotifyWhenFinished";
import { RunCharts } from "../features/runs/components/MetricCharts";
import { PinnedAnswers } from "../features/runs/components/PinnedAnswers";
import { PreflightSummary } from "../features/runs/components/PreflightSummary";
import { RunLog } from "../features/runs/components/RunLog";
import { RunStatusBadge } from "../features/runs/components/RunStatusBadge";
import { WebhookCard } from "../features/runs/components/WebhookCard";
import {
  baseEvalLoss,
  groupMetrics,
  lastEpoch,
  lastValue,
  latestTunedEvalLoss,
} from "../features/runs/metrics";
import { preflightOf, remainingSeconds } from "../features/runs/preflight";
import { useCanCreate } from "../lib/session";
import { formatDateTime, formatDuration, formatLoss, parseApiDate } from "../lib/format";
import { useNow } from "../lib/useNow";

export function RunDetailPage() {
  const id = Number(useParams().id);
  const valid = Number.isInteger(id) && id > 0;
  const run = useQuery({ ...runQueries.detail(id), enabled: valid });
  if (!valid) return <ErrorNotice error={new Error("Not a run id")} title="Not found" />;
  if (run.isPending) return <Loading />;
  if (run.isError) return <ErrorNotice error={run.error} title="Could not load the run" />;
  return <RunDetail run={run.data} />;
}

function elapsedOf(run: RunOut, now: number): string {
  if (!run.started_at) return run.status === "queued" ? "not started" : "—";
  const end = run.finished_at ? parseApiDate(run.finished_at).getTime() : now;
  return formatDuration(end - parseApiDate(run.started_at).getTime());
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat stat-compact" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value mono">{value}</div>
    </div>
  );
}

function RunDetail({ run }: { run: RunOut }) {
  const active = isActive(run.status);
  const metrics = useQuery(runQueries.metrics(run.id));
  const log = useQuery(runQueries.log(run.id));
  const checkpoints = useQuery({ ...runQueries.checkpoints(run.id), refetchInterval: active ? 10_000 : false });
  const pinned = useQuery({ ...runQueries.pinnedAnswers(run.id), refetchInterval: active ? 10_000 : false });
  const dataset = useQuery(datasetQueries.detail(run.dataset_id));
  // Another dataset may be evaluated once the run has succeeded.
  const datasets = useQuery({ ...datasetQueries.list(), enabled: run.status === "succeeded" });
  const cancel = useCancelRun(run.id);
  const clone = useCloneRun(run.id);
  const resume = useResumeRun(run.id);
  const navigate = useNavigate();
  const remove = useDeleteRun(run.id, { onDeleted: () => void navigate("/runs") });
  const canCreate = useCanCreate();
  // A failed or cancelled run continues from its latest checkpoint still on disk, when there is one.
  const resumableFrom =
    run.status === "failed" || run.status === "cancelled"
      ? Math.max(-1, ...(checkpoints.data?.items ?? []).filter((c) => c.on_disk && !c.is_final).map((c) => c.step))
      : -1;
  const now = useNow(active);
  const evaluation = useRunEvaluation(run.id, run.status);
  // Names for the evaluations a blind A/B can pair with this run's.
  const runs = useQuery({ ...runQueries.list(), enabled: evaluation.kind === "ready" });

  // Live: stream events into the query cache once the fetched metrics and log are in place.
  useRunEvents(run.id, active && metrics.isSuccess && log.isSuccess);
  useSettleOnFinish(run.id, run.status);

  const items = useMemo(() => metrics.data?.items ?? [], [metrics.data]);
  const series = useMemo(() => groupMetrics(items), [items]);
  const base = run.base_eval_loss ?? baseEvalLoss(series);
  const unquantised = run.unquantised_base_eval_loss ?? baseEvalLoss(series, "unquantised_eval_loss");
  const latestEval = latestTunedEvalLoss(series);
  const lastTrain = lastValue(series, "train_loss");
  const lastStep = items.reduce((max, m) => Math.max(max, m.step), 0);
  const epoch = lastEpoch(items);
  const accuracy = lastValue(series, "eval_token_accuracy") ?? lastValue(series, "train_token_accuracy");
  const throughput = lastValue(series, "tokens_per_second");
  const syncKey = `run-${run.id}`;
  const preflight = preflightOf(run);
  const presetName =
    run.preset_snapshot && typeof run.preset_snapshot.name === "string" ? run.preset_snapshot.name : null;
  const presetOverrides =
    run.preset_snapshot && typeof run.preset_snapshot.hyperparameters === "object" && run.preset_snapshot.hyperparameters
      ? new Set(Object.keys(run.preset_snapshot.hyperparameters))
      : undefined;

  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/runs">Runs</Link> <span className="muted">/</span> #{run.id}
          </>
        }
        title={
          <span className="title-with-badge">
            {run.name}
            <RunStatusBadge status={run.status} testId="run-status" />
          </span>
        }
        subtitle={
          <>
            <span className="mono">{run.base_model}</span> on{" "}
            <Link to={`/datasets/${run.dataset_id}`}>{dataset.data?.name ?? `dataset #${run.dataset_id}`}</Link>
            {presetName ? <> · preset “{presetName}”</> : null} · created {formatDateTime(run.created_at)}
          </>
        }
        actions={
          <>
            <NotifyWhenFinished run={run} />
            <CompareWithDialog run={run} />
            {active ? (
              <button
                type="button"
                className="btn btn-danger"
                data-testid="cancel-run"
                disabled={cancel.isPending || run.cancel_requested}
                onClick={() => {
                  if (window.confirm(`Cancel run “${run.name}”?`)) cancel.mutate();
                }}
              >
                {run.cancel_requested ? "Cancelling…" : cancel.isPending ? "Cancelling…" : "Cancel run"}
              </button>
            ) : canCreate ? (
              <>
                {resumableFrom > 0 ? (
                  <button
                    type="button"
                    className="btn btn-primary"
                    data-testid="resume-run"
                    title={`Queue this run again to continue from its checkpoint at step ${resumableFrom}`}
                    disabled={resume.isPending}
                    onClick={() => resume.mutate()}
                  >
                    {resume.isPending ? "Queueing…" : `Resume from step ${resumableFrom}`}
                  </button>
                ) : null}
                <Link
                  to={`/runs/new?from=${run.id}`}
                  className="btn"
                  data-testid="run-again"
                  title="Open the launch form with this run's configuration, to edit before queueing"
                >
                  Run again…
                </Link>
                <button
                  type="button"
                  className="btn"
                  data-testid="clone-run"
                  title="Queue a new run with exactly this run's configuration, dataset split, base model and preset snapshot"
                  disabled={clone.isPending}
                  onClick={() =>
                    clone.mutate(undefined, { onSuccess: (created) => void navigate(`/runs/${created.id}`) })
                  }
                >
                  {clone.isPending ? "Queueing…" : "Run again unchanged"}
                </button>
              </>
            ) : null}
            {canCreate ? (
              <button
                type="button"
                className="btn btn-danger"
                data-testid="delete-run"
                disabled={remove.isPending}
                onClick={() => {
                  const what = active ? "Cancel and delete" : "Delete";
                  if (window.confirm(`${what} run “${run.name}” with its metrics, evaluations, reviews and files?`))
                    remove.mutate();
                }}
              >
                {remove.isPending ? "Deleting…" : "Delete"}
              </button>
            ) : null}
          </>
        }
      />
      {clone.error ? <ErrorNotice error={clone.error} title="Could not run it again" testId="clone-error" /> : null}
      {resume.error ? <ErrorNotice error={resume.error} title="Could not resume the run" testId="resume-error" /> : null}
      {remove.error ? <ErrorNotice error={remove.error} title="Could not delete the run" testId="delete-error" /> : null}

      <div className={`status-strip status-strip-${run.status}`} data-testid="run-progress">
        <div className="status-strip-main">
          {active ? <span className="pulse" aria-hidden="true" /> : null}
          <span className="status-message" data-testid="run-status-message">
            {run.queue_note ??
              (run.status_message ||
                (run.status === "queued" ? "Waiting for a worker to pick this run up…" : "No progress reported."))}
          </span>
          {run.status === "queued" ? (
            <Link to="/workers" className="small" data-testid="run-queue-link">
              the queue
            </Link>
          ) : null}
        </div>
        <div className="status-strip-meta">
          <span>
            <span className="muted">elapsed</span>{" "}
            <span className="mono" data-testid="run-elapsed">
              {elapsedOf(run, now)}
            </span>
          </span>
          {lastStep > 0 ? (
            <span>
              <span className="muted">step</span> <span className="mono">{lastStep}</span>
            </span>
          ) : null}
          {epoch !== null ? (
            <span>
              <span className="muted">epoch</span> <span className="mono">{epoch.toFixed(2)}</span>
            </span>
          ) : null}
          {preflight && run.status === "running" ? (
            <span title="training steps left × the pre-flight's seconds per step">
              <span className="muted">ETA</span>{" "}
              <span className="mono" data-testid="run-eta">
                {formatDuration(remainingSeconds(preflight, lastStep) * 1000)}
              </span>
            </span>
          ) : null}
        </div>
      </div>

      <PreflightSummary run={run} />
      {cancel.isError ? <ErrorNotice error={cancel.error} title="Could not cancel the run" /> : null}
      {run.status === "failed" ? (
        <div className="notice notice-error" role="alert" data-testid="run-error">
          <div className="notice-title">The run failed</div>
          <pre className="notice-pre">{run.error ?? "No error message was recorded."}</pre>
        </div>
      ) : null}
      {run.status === "cancelled" && run.error ? (
        <div className="notice" data-testid="run-error">
          <div className="notice-title">Cancelled</div>
          <pre className="notice-pre">{run.error}</pre>
        </div>
      ) : null}

      <div className="run-summary">
        <div className="run-verdicts">
          <BaseComparison run={run} base={base} unquantised={unquantised} latest={latestEval} />
          <EvaluationHeadline runId={run.id} runStatus={run.status} />
        </div>
        <div className="stats stats-compact">
          <Stat label="Train loss (latest)" value={formatLoss(lastTrain?.value)} testId="latest-train-loss" />
          <Stat label="Val loss (latest)" value={formatLoss(latestEval?.value)} />
          <Stat
            label="Token accuracy"
            value={accuracy ? `${(accuracy.value * 100).toFixed(1)}%` : "—"}
          />
          <Stat label="Tokens / s" value={throughput ? throughput.value.toFixed(0) : "—"} />
        </div>
      </div>

      {metrics.isError ? (
        <Card title="Loss">
          <ErrorNotice error={metrics.error} title="Could not load metrics" />
        </Card>
      ) : (
        <RunCharts
          items={items}
          series={series}
          baseLoss={base}
          syncKey={syncKey}
          status={active ? "live" : `${items.length.toLocaleString()} points`}
          emptyText={
            metrics.isPending
              ? "Loading metrics…"
              : active
                ? "Waiting for the first metrics…"
                : "No metrics were recorded for this run."
          }
        />
      )}

      {pinned.data && pinned.data.items.length > 0 ? (
        <Card title="Answers during training">
          <PinnedAnswers examples={pinned.data.items} />
        </Card>
      ) : null}

      <div className="grid-2">
        <Card title="Run log" flush actions={<span className="muted small">newest first</span>}>
          {log.isPending ? (
            <Loading />
          ) : log.isError ? (
            <ErrorNotice error={log.error} title="Could not load the log" />
          ) : (
            <RunLog lines={log.data.items} />
          )}
        </Card>
        <Card
          title="Checkpoints"
          flush
          testId="checkpoints"
          actions={run.artifacts && run.artifacts.length > 0 ? <ArtifactLinks artifacts={run.artifacts} /> : null}
        >
          {checkpoints.isPending ? (
            <Loading />
          ) : checkpoints.isError ? (
            <ErrorNotice error={checkpoints.error} title="Could not load the checkpoints" />
          ) : checkpoints.data.items.length === 0 ? (
            <EmptyState title="No checkpoints yet">
              A checkpoint is saved every save_steps steps and at each new best validation loss.
            </EmptyState>
          ) : (
            <CheckpointsTable checkpoints={checkpoints.data.items} />
          )}
        </Card>
      </div>

      {evaluation.kind === "ready" ? (
        <RunReviewCard tuned={evaluation.tuned} base={evaluation.base} runs={runs.data?.items ?? []} />
      ) : null}

      <EvaluationSection
        run={run}
        checkpoints={checkpoints.data?.items ?? []}
        datasets={datasets.data?.items ?? []}
      />

      <BenchmarkCard run={run} />

      <MemoryComparison run={run} />

      <WebhookCard run={run} />

      <Collapsible
        title="Resolved configuration"
        summary={`${Object.keys(run.config).length} hyperparameters${presetName ? ` · preset “${presetName}”` : ""}`}
        testId="run-config"
      >
        <KeyValueGrid values={run.config} highlight={presetOverrides} />
        <div className="muted small kv-footnote">
          Split hash <span className="mono">{run.split_hash}</span>
          {presetOverrides ? " · highlighted: set by the preset" : ""}
        </div>
      </Collapsible>

      {run.environment ? (
        <Collapsible title="Environment" summary="library versions and hardware the run used" testId="run-environment">
          <KeyValueGrid values={run.environment} />
        </Collapsible>
      ) : null}
    </>
  );
}
