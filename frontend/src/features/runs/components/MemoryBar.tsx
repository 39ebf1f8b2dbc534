import type { MemoryBreakdownOut } from "../../../client/types.gen";
import { formatMemory } from "../../../lib/format";
import type { MemoryLimit } from "../estimate";

/** The estimate's parts, largest-first in a typical LoRA run, each with what it is. */
const PARTS: { key: keyof MemoryBreakdownOut; label: string; help: string }[] = [
  { key: "weights", label: "Weights", help: "The frozen base model at the run's precision (4-bit with QLoRA)." },
  { key: "lora", label: "Adapters", help: "The LoRA matrices: r × (in + out) per adapted layer." },
  { key: "gradients", label: "Gradients", help: "One per trainable parameter." },
  { key: "optimizer", label: "Optimiser states", help: "AdamW keeps 8 bytes per trainable parameter, Adafactor/SGD ~4." },
  {
    key: "activations",
    label: "Activations",
    help: "Kept for the backward pass: grows with batch × sequence length; gradient checkpointing cuts it.",
  },
  { key: "logits", label: "Logits", help: "A score for every vocabulary entry at every position, and its gradient." },
  { key: "overhead", label: "Overhead", help: "The Python/torch process and memory the allocator holds." },
];

function Marker({ bytes, scale, label, kind }: { bytes: number; scale: number; label: string; kind: string }) {
  const at = (bytes / scale) * 100;
  // Labels sit left of the line, unless that would run off the bar's start.
  return (
    <div className={`membar-marker membar-marker-${kind}${at < 30 ? " membar-marker-start" : ""}`} style={{ left: `${at}%` }}>
      <span className="membar-marker-label">
        {label} {formatMemory(bytes)}
      </span>
    </div>
  );
}

/** A peak a worker measured (the run's, or its pre-flight's), drawn as a second line on the bar. */
export type MeasuredPeak = { bytes: number; label: string };

/** The bar in words, for screen readers. */
function describe(breakdown: MemoryBreakdownOut, total: number, limits: MemoryLimit[], measured?: MeasuredPeak | null) {
  const parts = PARTS.map(({ key, label }) => `${label} ${formatMemory(breakdown[key])}`).join(", ");
  const peak = measured ? `; ${measured.label} ${formatMemory(measured.bytes)}` : "";
  const against = limits.map((limit) => `${formatMemory(limit.bytes)} on ${limit.label}`).join(", ");
  return `Estimated peak ${formatMemory(total)} (${parts}) against ${against}${peak}`;
}

/** Beyond this much headroom a memory line is left off the scale, so the segments stay readable. */
const OFF_SCALE_HEADROOM = 3;

/**
 * Peak memory as one stacked bar, each cause a segment, against the memory there is (a line per worker memory,
 * or this machine's; red beyond the smallest) and, after a run, the peak it really reached.
 */
export function MemoryBar({
  breakdown,
  total,
  limits,
  measured,
}: {
  breakdown: MemoryBreakdownOut;
  total: number;
  limits: MemoryLimit[];
  measured?: MeasuredPeak | null;
}) {
  const needed = Math.max(total, measured?.bytes ?? 0);
  const onScale = limits.filter((limit) => limit.bytes <= OFF_SCALE_HEADROOM * needed);
  const offScale = limits.filter((limit) => limit.bytes > OFF_SCALE_HEADROOM * needed);
  const scale = onScale.length > 0 ? Math.max(needed, ...onScale.map((limit) => limit.bytes)) * 1.02 : needed * 1.3;
  const smallest = Math.min(...limits.map((limit) => limit.bytes));
  const over = total > smallest;
  return (
    <div className="membar" data-testid="memory-bar">
      <div
        className={measured ? "membar-track membar-track-measured" : "membar-track"}
        role="img"
        aria-label={describe(breakdown, total, limits, measured)}
      >
        <div className="membar-stack" style={{ width: `${(total / scale) * 100}%` }}>
          {PARTS.map(({ key, label, help }) =>
            breakdown[key] > 0 ? (
              <div
                key={key}
                className={`membar-segment membar-${key}`}
                style={{ flexGrow: breakdown[key] }}
                title={`${label}: ${formatMemory(breakdown[key])}. ${help}`}
              />
            ) : null,
          )}
        </div>
        {over ? (
          <div
            className="membar-over"
            style={{ left: `${(smallest / scale) * 100}%`, width: `${((total - smallest) / scale) * 100}%` }}
          />
        ) : null}
        {offScale.length > 0 ? (
          <span
            className="membar-offscale"
            data-testid="memory-available-off-scale"
            title={offScale.map((limit) => `${limit.label}: ${formatMemory(limit.bytes)}`).join("\n")}
          >
            {offScale.map((limit) => formatMemory(limit.bytes)).join(", ")} available →
          </span>
        ) : null}
        {onScale.map((limit) => (
          <Marker key={limit.bytes} bytes={limit.bytes} scale={scale} label={limit.label} kind="available" />
        ))}
        {measured ? <Marker bytes={measured.bytes} scale={scale} label={measured.label} kind="measured" /> : null}
      </div>
      <ul className="membar-legend">
        {PARTS.map(({ key, label, help }) => (
          <li key={key} className={breakdown[key] > 0 ? undefined : "muted"} title={help} data-testid={`memory-${key}`}>
            <span className={`membar-swatch membar-${key}`} aria-hidden="true" />
            {label} <span className="mono">{formatMemory(breakdown[key])}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
