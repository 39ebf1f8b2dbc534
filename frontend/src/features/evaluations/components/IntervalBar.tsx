import type { MetricComparisonOut } from "../../../client/types.gen";
import { formatInterval, formatSigned, verdictTone } from "../format";

/** Where `value` sits on a track from −extent to +extent, in percent. */
function position(value: number, extent: number): number {
  return Math.min(100, Math.max(0, 50 + (value / extent) * 50));
}

/**
 * The difference and its 95% interval on a horizontal track centred on zero: an interval that crosses the zero line
 * is no clear change. `extent` is the half-width of the track, shared by cards on the same scale.
 */
export function IntervalBar({ metric, extent }: { metric: MetricComparisonOut; extent: number }) {
  const { difference, ci_low: low, ci_high: high } = metric;
  if (difference === null) return null;
  const tone = verdictTone(metric.verdict);
  const left = low === null ? null : position(low, extent);
  const right = high === null ? null : position(high, extent);
  return (
    <div
      className="eval-interval"
      role="img"
      aria-label={`difference ${formatSigned(difference, metric.name)}, ${formatInterval(metric)}`}
      title={`${formatSigned(difference, metric.name)} (${formatInterval(metric)}); the line is zero`}
    >
      <div className="eval-interval-zero" />
      {left !== null && right !== null ? (
        <div
          className={`eval-interval-range eval-interval-${tone}`}
          style={{ left: `${left}%`, width: `${Math.max(right - left, 0.8)}%` }}
        />
      ) : null}
      <div
        className={`eval-interval-point eval-interval-${tone}`}
        style={{ left: `${position(difference, extent)}%` }}
      />
    </div>
  );
}
