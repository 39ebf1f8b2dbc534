import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type {
  LogLineEvent,
  MetricEvent,
  MetricOut,
  RunEvent,
  RunLogLineOut,
  RunStatus,
  StatusEvent,
} from "../../../client/types.gen";
import { appendNew } from "../../../lib/cache";
import { isActive, runQueries } from "./queries";

/** The message of an SSE event named `type`, or null when it is not one (the event name is the message's type). */
function parse<T extends RunEvent["type"]>(event: MessageEvent<string>, type: T): Extract<RunEvent, { type: T }> | null {
  try {
    const message = JSON.parse(event.data) as RunEvent;
    return message.type === type ? (message as Extract<RunEvent, { type: T }>) : null;
  } catch {
    return null;
  }
}

const FLUSH_MS = 120;
const REOPEN_MS = 5000;

/**
 * Follow a live run over Server-Sent Events and write what arrives into the query cache: metrics into
 * runQueries.metrics(id), log lines into runQueries.log(id), status changes into runQueries.detail(id).
 * No second store.
 *
 * Open it only once the metrics and log queries have loaded, so the stream's replay merges into fetched data.
 * The server ends a stream after a while with a "reconnect" event; EventSource then reconnects by
 * itself and sends Last-Event-ID, so the stream resumes after the last metric and log line it delivered.
 */
export function useRunEvents(runId: number, enabled: boolean): void {
  const queryClient = useQueryClient();

  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | null = null;
    let pendingMetrics: MetricOut[] = [];
    let pendingLog: RunLogLineOut[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const flush = () => {
      flushTimer = undefined;
      const metrics = pendingMetrics;
      const log = pendingLog;
      pendingMetrics = [];
      pendingLog = [];
      if (metrics.length > 0) queryClient.setQueryData(runQueries.metrics(runId).queryKey, (old) => appendNew(old, metrics));
      if (log.length > 0) queryClient.setQueryData(runQueries.log(runId).queryKey, (old) => appendNew(old, log));
    };

    const onMetric = (event: MessageEvent<string>) => {
      const envelope: MetricEvent | null = parse(event, "metric");
      if (!envelope) return;
      pendingMetrics.push({
        id: envelope.id,
        step: envelope.step ?? 0,
        epoch: envelope.payload.epoch,
        name: envelope.payload.name,
        value: envelope.payload.value,
        non_finite: envelope.payload.non_finite,
        time: envelope.payload.time,
      });
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    };

    const onLog = (event: MessageEvent<string>) => {
      const envelope: LogLineEvent | null = parse(event, "log_line");
      if (!envelope) return;
      pendingLog.push({ id: envelope.id, step: envelope.step, ...envelope.payload });
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    };

    const onStatus = (event: MessageEvent<string>) => {
      const envelope: StatusEvent | null = parse(event, "status");
      if (!envelope) return;
      const status: RunStatus = envelope.payload.status;
      const detailKey = runQueries.detail(runId).queryKey;
      const previous = queryClient.getQueryData(detailKey);
      if (previous) queryClient.setQueryData(detailKey, { ...previous, ...envelope.payload });
      if (previous?.status !== status) {
        void queryClient.invalidateQueries({ queryKey: runQueries.lists() });
        // started_at and the like come with the full run; a finished run is refetched by useSettleOnFinish.
        if (isActive(status)) {
          void queryClient.invalidateQueries({ queryKey: detailKey, exact: true });
        }
      }
      if (!isActive(status)) {
        // Finished: the server closes the stream; keep EventSource from reconnecting.
        stop();
        flush();
      }
    };

    const open = () => {
      source = new EventSource(`/api/runs/${runId}/events`);
      source.addEventListener("metric", onMetric);
      source.addEventListener("log_line", onLog);
      source.addEventListener("status", onStatus);
      source.onerror = () => {
        // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. an HTTP error); try again later.
        if (!stopped && source?.readyState === EventSource.CLOSED) {
          reopenTimer = setTimeout(open, REOPEN_MS);
        }
      };
    };

    const stop = () => {
      stopped = true;
      source?.close();
      clearTimeout(reopenTimer);
    };

    open();
    return () => {
      stop();
      clearTimeout(flushTimer);
      flush();
    };
  }, [runId, enabled, queryClient]);
}

/**
 * When a run goes from queued/running to finished (seen over SSE or by polling), refetch everything
 * about it once: the full run (finished_at, final loss) and all metrics.
 */
export function useSettleOnFinish(runId: number, status: RunStatus): void {
  const queryClient = useQueryClient();
  const previous = useRef(status);
  useEffect(() => {
    if (isActive(previous.current) && !isActive(status)) {
      void queryClient.invalidateQueries({ queryKey: runQueries.detailKey(runId) });
      void queryClient.invalidateQueries({ queryKey: runQueries.lists() });
    }
    previous.current = status;
  }, [runId, status, queryClient]);
}
