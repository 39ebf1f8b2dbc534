import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { EstimateOut, EstimateRequest } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { formatMemory, formatDuration, formatNumber } from "../../../lib/format";
import { useDebounced } from "../../../lib/useDebounced";
import { runQueries } from "../api/queries";
import { memoryLimits, VERDICTS, warningText } from "../estimate";
import { MemoryBar } from "./MemoryBar";

const DEBOUNCE_MS = 500;

function Verdict({ estimate }: { estimate: EstimateOut }) {
  const { badge, text } = VERDICTS[estimate.verdict];
  return (
    <span className={`badge ${badge}`} data-testid="estimate-verdict">
      {text}
    </span>
  );
}

/** Where a run would train: each live training worker with the run's peak on its device, or why there is none. */
function ComparedWith({ estimate }: { estimate: EstimateOut }) {
  if (estimate.compared_with.length === 0) {
    const rest = estimate.note.replace(/^No training worker is running: /, "");
    return (
      <div className="notice notice-warning" data-testid="estimate-no-worker">
        <div className="notice-title">No training worker is running</div>
        <div className="notice-message">{rest.charAt(0).toUpperCase() + rest.slice(1)}</div>
      </div>
    );
  }
  return (
    <ul className="estimate-workers" data-testid="estimate-workers">
      {estimate.compared_with.map((worker) => (
        <li key={worker.worker_id} data-testid="estimate-worker" data-fits={worker.fits} title={`worker ${worker.worker_id}`}>
          <span className={worker.fits ? "estimate-worker-fits" : "estimate-worker-too-small"} aria-hidden="true">
            {worker.fits ? "✓" : "✗"}
          </span>
          <span className="mono">{worker.hostname}</span>
          <span className="muted">
            {worker.device} · {worker.device_name}
          </span>
          <span>
            <span className="mono">{formatMemory(worker.memory_bytes)}</span>
            <span className="muted">, needs </span>
            <span className="mono">{formatMemory(worker.needs_bytes)}</span>
          </span>
          <span className={worker.fits ? "muted" : "estimate-worker-too-small"}>{worker.fits ? "fits" : "too small"}</span>
        </li>
      ))}
    </ul>
  );
}

function TimeEstimate({ estimate }: { estimate: EstimateOut }) {
  if (estimate.estimated_seconds !== null && estimate.tokens_per_second !== null && estimate.train_tokens !== null) {
    return (
      <div className="estimate-time" data-testid="estimate-time">
        Training ≈ <strong className="mono">{formatDuration(estimate.estimated_seconds * 1000)}</strong>
        <span className="muted">
          {" "}
          · {formatNumber(estimate.train_tokens)} tokens at {estimate.tokens_per_second.toFixed(0)} tokens/s, the
          median of the latest finished run on this base model
        </span>
      </div>
    );
  }
  return (
    <div className="estimate-time muted" data-testid="estimate-time">
      No time estimate yet: it needs one finished run on this base model to measure its throughput
      {estimate.train_tokens !== null ? ` (this run trains on ${formatNumber(estimate.train_tokens)} tokens)` : ""}.
    </div>
  );
}

function EstimateBody({ estimate }: { estimate: EstimateOut }) {
  const workers = estimate.compared_with.length;
  return (
    <div className="estimate">
      <div className="estimate-headline" data-testid="estimate-peak">
        Peak memory ≈ <strong className="mono">{formatMemory(estimate.total_bytes)}</strong>
        {estimate.context_bytes > 0 ? (
          <span className="muted"> + {formatMemory(estimate.context_bytes)} CUDA context</span>
        ) : null}
        <span className="muted">
          {workers === 0
            ? ` of ${formatMemory(estimate.available_bytes)} on this machine`
            : ` on ${estimate.device}, against ${workers === 1 ? "the training worker" : `${workers} training workers`}`}
        </span>
        <Verdict estimate={estimate} />
      </div>
      <MemoryBar breakdown={estimate.breakdown} total={estimate.total_bytes} limits={memoryLimits(estimate)} />
      <ComparedWith estimate={estimate} />
      {estimate.warning ? (
        <div
          className={`notice ${estimate.verdict === "wont_fit" ? "notice-error" : "notice-warning"}`}
          role="alert"
          data-testid="estimate-warning"
        >
          <div className="notice-title">{VERDICTS[estimate.verdict].title}</div>
          <div className="notice-message">{warningText(estimate.warning)}</div>
        </div>
      ) : null}
      {estimate.method_reason ? (
        <div className="muted small" data-testid="estimate-method">
          {estimate.method_reason.charAt(0).toUpperCase() + estimate.method_reason.slice(1)}.
        </div>
      ) : null}
      <TimeEstimate estimate={estimate} />
      <div className="muted small">
        {estimate.method} on {estimate.device} · {formatNumber(estimate.trainable_parameters)} of{" "}
        {formatNumber(estimate.total_parameters)} parameters trained · {estimate.seq_len_used} tokens per example, from{" "}
        {estimate.seq_len_source}.{workers > 0 ? ` ${estimate.note}` : ""}
      </div>
    </div>
  );
}

/**
 * Peak memory and training time of the run the form describes, asked again (debounced) whenever it changes.
 * `invalidFields`: overrides that do not parse yet; the estimate waits for them rather than guess.
 */
export function EstimatePanel({ request, invalidFields }: { request: EstimateRequest; invalidFields: string[] }) {
  // Debounce the request's text, not the object: a new object every render would restart the timer for ever.
  const requestText = JSON.stringify(request);
  const settledText = useDebounced(requestText, DEBOUNCE_MS);
  const settled = useMemo(() => JSON.parse(settledText) as EstimateRequest, [settledText]);
  const waiting = invalidFields.length > 0;
  const estimate = useQuery({ ...runQueries.estimate(settled), enabled: !waiting });
  // What is on screen answers an older form until the debounce settles and the new answer arrives.
  const updating = settledText !== requestText || estimate.isPlaceholderData;
  const state = waiting
    ? "waiting for valid values"
    : updating || estimate.isFetching
      ? "updating…"
      : estimate.data?.token_lengths_pending
        ? "a worker is counting the dataset's tokens…"
        : "before launch";

  return (
    <Card title="Memory and time estimate" testId="estimate-panel" actions={<span className="muted small">{state}</span>}
    >
      {waiting ? (
        <div className="notice" data-testid="estimate-waiting">
          The estimate waits for valid values in <span className="mono">{invalidFields.join(", ")}</span>.
        </div>
      ) : estimate.isError ? (
        <ErrorNotice error={estimate.error} title="No estimate for this configuration" testId="estimate-error" />
      ) : estimate.data ? (
        <div className={updating ? "is-refreshing" : undefined} data-testid="estimate-body" data-updating={updating}>
          <EstimateBody estimate={estimate.data} />
        </div>
      ) : (
        <Loading label="Estimating…" />
      )}
    </Card>
  );
}
