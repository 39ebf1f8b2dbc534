import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { DatasetOut, TokenStatsPending } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { formatNumber } from "../../../lib/format";
import { datasetQueries } from "../api/queries";
import { plural } from "../tokens";
import { TokenHistogram } from "./TokenHistogram";
import type { TokenSettingsState } from "../useTokenSettings";
import { TokenSettingsBar } from "./TokenSettings";

/**
 * How long the examples are in the chosen model's tokens, under the chosen template, against max_seq_length:
 * the one number that matters is how many would be cut, so it is said in words above the chart.
 */
export function TokenStatsPanel({ dataset, state }: { dataset: DatasetOut; state: TokenSettingsState }) {
  const { settings, effectiveTemplate } = state;
  const stats = useQuery({
    ...datasetQueries.tokenStats(dataset.id, {
      baseModel: settings.baseModel,
      template: effectiveTemplate,
      maxSeqLength: settings.maxSeqLength,
    }),
    enabled: settings.baseModel !== "",
  });

  return (
    <div className="token-stats">
      <TokenSettingsBar state={state} dataset={dataset} />
      {stats.isPending ? (
        <Loading label="Tokenising every example…" />
      ) : stats.isError ? (
        <ErrorNotice error={stats.error} title="Could not compute token lengths" testId="token-stats-error" />
      ) : stats.data.status === "pending" ? (
        <CountingTokens pending={stats.data} />
      ) : (
        <div className={stats.isPlaceholderData ? "is-refreshing" : undefined}>
          <p
            className={`truncation-line ${stats.data.num_truncated > 0 ? "truncation-bad" : "truncation-ok"}`}
            data-testid="truncation-summary"
            data-truncated={stats.data.num_truncated}
          >
            {stats.data.num_truncated > 0 ? (
              <>
                <strong>
                  {formatNumber(stats.data.num_truncated)} of {plural(stats.data.num_examples, "example")}
                </strong>{" "}
                {stats.data.num_truncated === 1 ? "is" : "are"} longer than max_seq_length ({formatNumber(settings.maxSeqLength)}{" "}
                tokens) and would be truncated: their ends, usually the answers, are never trained on.
              </>
            ) : (
              <>
                All {plural(stats.data.num_examples, "example")} fit in max_seq_length ({formatNumber(settings.maxSeqLength)}{" "}
                tokens): none would be truncated.
              </>
            )}
          </p>
          <dl className="mini-stats" data-testid="token-stats">
            <div>
              <dt>median</dt>
              <dd>{formatNumber(Math.round(stats.data.p50))}</dd>
            </div>
            <div>
              <dt>p95</dt>
              <dd>{formatNumber(Math.round(stats.data.p95))}</dd>
            </div>
            <div>
              <dt>mean</dt>
              <dd>{formatNumber(Math.round(stats.data.mean))}</dd>
            </div>
            <div>
              <dt>longest</dt>
              <dd>{formatNumber(stats.data.max)}</dd>
            </div>
            <div>
              <dt>template</dt>
              <dd>{effectiveTemplate}</dd>
            </div>
          </dl>
          <TokenHistogram
            edges={stats.data.histogram.edges}
            counts={stats.data.histogram.counts}
            maxSeqLength={settings.maxSeqLength}
          />
        </div>
      )}
    </div>
  );
}

/** Seconds of counting before "no worker has started" is worth saying. */
const PATIENCE_SECONDS = 5;

/** A worker counts every example's tokens once per model and template; the query asks again every second. */
function CountingTokens({ pending }: { pending: TokenStatsPending }) {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setSeconds((s) => s + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <div className="state" aria-busy="true" data-testid="token-stats-pending">
      <span className="state-line">
        <span className="spinner" aria-hidden="true" />
        Counting tokens of {plural(pending.num_examples, "example")}…
      </span>
      {pending.waiting_for_worker && seconds >= PATIENCE_SECONDS ? (
        <span data-testid="token-stats-no-worker">
          No worker has started yet: counting runs on the light queue (<code>make up</code> starts its worker).
        </span>
      ) : null}
    </div>
  );
}
