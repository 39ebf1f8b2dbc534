import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { EstimateOut, EstimateRequest } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { formatMemory, formatDuration, formatNumber } from "../../../lib/format";
import { useDebounced } from "../../../lib/useDebounced";
import { runQueries } from "../api/queries";
import { MemoryBar } from "./MemoryBar";

const DEBOUNCE_MS = 500;

function Verdict({ estimate }: { estimate: EstimateOut }) {
  const [className, text] = !estimate.fits
    ? ["badge-failed", "won't fit"]
    : estimate.warning
      ? ["badge-cancelled", "tight"]
      : ["badge-succeeded", "fits"];
  return (
    <span className={`badge ${className}`} data-testid="estimate-verdict">
      {text}
    </span>
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
  return (
    <div className="estimate">
      <div className="estimate-headline" data-testid="estimate-peak">
        Peak memory ≈ <strong className="mono">{formatMemory(estimate.total_bytes)}</strong>
        <span className="muted"> of {formatMemory(estimate.available_bytes)} on this machine</span>
        <Verdict estimate={estimate} />
      </div>
      <MemoryBar breakdown={estimate.breakdown} total={estimate.total_bytes} available={estimate.available_bytes} />
      {estimate.warning ? (
        <div className={`notice ${estimate.fits ? "notice-warning" : "notice-error"}`} role="alert" data-testid="estimate-warning">
          <div className="notice-title">{estimate.fits ? "May not fit" : "Will not fit"}</div>
          <div className="notice-message">{estimate.warning.replace(/^(will|may) not fit: /, "")}</div>
        </div>
      ) : null}
      <TimeEstimate estimate={estimate} />
      <div className="muted small">
        {estimate.method} on {estimate.device_assumed} · {formatNumber(estimate.trainable_parameters)} of{" "}
        {formatNumber(estimate.total_parameters)} parameters trained · {estimate.seq_len_used} tokens per example, from{" "}
        {estimate.seq_len_source}. {estimate.note}
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
