import { useMemo, useRef } from "react";
import type uPlot from "uplot";
import { alignOnX, downsampleIndices, ema, finiteExtent, valueRange, xRange, type Value } from "./series";
import { chartAxis, cssVar } from "./style";
import { UPlotChart, type ChartOptions } from "./UPlotChart";

/** One curve. Several of them (one run's metrics, or the same metric of several runs) share a chart. */
export type ChartLine = {
  label: string;
  /** A CSS colour, or a design token such as "--chart-train". */
  color: string;
  x: readonly number[];
  /** NaN: a recorded non-finite value, marked on the chart. */
  y: readonly Value[];
  /** line (default); points: markers only (sparse evaluations); reference: dashed; flags: rings, no line. */
  kind?: "line" | "points" | "reference" | "flags";
  /** Smoothed with the chart's smoothing, the raw line faint underneath. */
  smooth?: boolean;
};

/** `halfWidth`: the room either side of a single x (a run with one point). Keep the object stable (memoise it). */
export type XAxis = { label: string; format: (value: number) => string; halfWidth: number };

/** Columns of the x range kept by downsampling: about two per CSS pixel of a wide chart. */
const DISPLAY_COLUMNS = 1500;
/** Markers on a line once it has fewer points than one per this many pixels, so a lone point shows. */
const PX_PER_MARKED_POINT = 12;
/** Room for the y tick labels, the same on every chart so that stacked charts line up on x. */
const Y_AXIS_SIZE = 60;

type Drawn = { label: string; color: string; kind: NonNullable<ChartLine["kind"]>; raw: boolean };

/** The last series when something was non-finite: the x of each such value, drawn as a marked vertical line. */
const NON_FINITE_LABEL = "NaN/inf";

function resolveColor(color: string): string {
  return color.startsWith("--") ? cssVar(color as `--${string}`) : color;
}

/** The value nearest to index `at` that the series has (series with sparse points, such as evaluations). */
function nearestValue(x: ArrayLike<number>, y: ArrayLike<Value | undefined>, at: number): number | null {
  for (let d = 0; d < x.length; d += 1) {
    const left = y[at - d];
    const right = y[at + d];
    const leftOk = at - d >= 0 && left !== null && left !== undefined;
    const rightOk = at + d < x.length && right !== null && right !== undefined;
    if (leftOk && rightOk) {
      return Math.abs((x[at] ?? 0) - (x[at - d] ?? 0)) <= Math.abs((x[at + d] ?? 0) - (x[at] ?? 0)) ? left : right;
    }
    if (leftOk) return left;
    if (rightOk) return right;
    if (at - d < 0 && at + d >= x.length) break;
  }
  return null;
}

/**
 * A metric chart: lines against a shared x axis, with smoothing, a log axis, markers for sparse series,
 * marked non-finite values, a tooltip with every series' value at the cursor, and a cursor synced across the
 * charts of one `syncKey`. Draws at most a few points per pixel column (spikes and NaNs kept, see series.ts).
 *
 * For tests the chart's container carries data-series: per drawn series its label, point count, finite
 * extent, whether markers show, and the y scale; data-nonfinite: the x of each non-finite value.
 */
export function MetricChart({
  lines,
  xAxis,
  xExtent,
  yLabel,
  yFormat,
  log = false,
  smoothing,
  syncKey,
  height,
  testId,
  emptyText,
}: {
  lines: ChartLine[];
  xAxis: XAxis;
  /** The x range to show, the same for every chart of a page so that they line up; null: this chart's data. */
  xExtent: [number, number] | null;
  yLabel: string;
  yFormat: (value: number) => string;
  log?: boolean;
  smoothing: number;
  syncKey: string;
  height: number;
  testId: string;
  emptyText?: string;
}) {
  const tooltipRef = useRef<HTMLDivElement>(null);

  const { structureKey, data } = useMemo(() => {
    const drawn: Drawn[] = [];
    const columns: { x: readonly number[]; y: readonly Value[] }[] = [];
    for (const line of lines) {
      const kind = line.kind ?? "line";
      if (line.smooth && smoothing > 0 && kind === "line") {
        drawn.push({ label: `${line.label} (raw)`, color: line.color, kind, raw: true });
        columns.push(line);
        drawn.push({ label: line.label, color: line.color, kind, raw: false });
        columns.push({ x: line.x, y: ema(line.y, smoothing) });
      } else {
        drawn.push({ label: line.label, color: line.color, kind, raw: false });
        columns.push(line);
      }
    }
    // The range's ends as x values without points: uPlot's x scale then spans the page's shared range.
    if (xExtent) columns.push({ x: xExtent, y: [null, null] });
    const aligned = alignOnX(columns);
    const kept = downsampleIndices(aligned.x, aligned.ys, DISPLAY_COLUMNS);
    const flagged = new Set<number>();
    const ys = drawn.map((series, i) => {
      const column = aligned.ys[i] ?? [];
      return kept.map((k) => {
        const value = column[k] ?? null;
        if (value !== null && !Number.isFinite(value)) {
          if (!series.raw) flagged.add(k);
          return null;
        }
        return log && value !== null && value <= 0 ? null : value;
      });
    });
    if (flagged.size > 0) {
      drawn.push({ label: NON_FINITE_LABEL, color: "--chart-alert", kind: "flags", raw: false });
      ys.push(kept.map((k) => (flagged.has(k) ? Number.NaN : null)));
    }
    const data: uPlot.AlignedData = [kept.map((k) => aligned.x[k] ?? 0), ...ys];
    // Options (the plot itself) are rebuilt only when the set of series changes, not with each new point.
    return { structureKey: JSON.stringify(drawn), data };
  }, [lines, smoothing, log, xExtent]);
  const drawn = useMemo(() => JSON.parse(structureKey) as Drawn[], [structureKey]);

  const options = useMemo<ChartOptions>(() => {
    const alert = cssVar("--chart-alert");
    const markersShown = new Map<number, boolean>();
    const sparse = (u: uPlot, seriesIdx: number): boolean => {
      const column = u.data[seriesIdx] ?? [];
      const [from, to] = [u.scales.x?.min ?? -Infinity, u.scales.x?.max ?? Infinity];
      let count = 0;
      u.data[0].forEach((xValue, i) => {
        if (xValue >= from && xValue <= to && column[i] !== null && column[i] !== undefined) count += 1;
      });
      const shown = count * PX_PER_MARKED_POINT <= u.bbox.width / devicePixelRatio;
      markersShown.set(seriesIdx, shown);
      return shown;
    };
    const series: uPlot.Series[] = drawn.map((line) => {
      const stroke = resolveColor(line.color);
      const common = { label: line.label, stroke, spanGaps: true };
      if (line.label === NON_FINITE_LABEL) return { ...common, paths: () => null, points: { show: false } };
      switch (line.kind) {
        case "reference":
          return { ...common, width: 1.5, dash: [6, 4], points: { show: false } };
        case "points":
          return { ...common, width: 1.5, points: { show: true, size: 6, fill: stroke } };
        case "flags":
          return {
            ...common,
            width: 2,
            paths: () => null,
            points: { show: true, size: 14, width: 2, fill: cssVar("--chart-alert-soft") },
          };
        default:
          return line.raw
            ? { ...common, width: 1, alpha: 0.3, points: { show: sparse, size: 4, fill: stroke } }
            : { ...common, width: 2, points: { show: sparse, size: 5, fill: stroke } };
      }
    });

    /** A dashed red line and "NaN/inf" at each non-finite value: the line itself has a gap there. */
    const nonFiniteXs = (u: uPlot): number[] => {
      const flags = drawn.at(-1)?.label === NON_FINITE_LABEL ? u.data[drawn.length] : undefined;
      return flags ? Array.from(u.data[0]).filter((_, i) => flags[i] !== null && flags[i] !== undefined) : [];
    };
    const drawNonFinite = (u: uPlot) => {
      const nonFinite = nonFiniteXs(u);
      if (nonFinite.length === 0) return;
      const { ctx } = u;
      const { top, height: plotHeight, left, width } = u.bbox;
      const px = devicePixelRatio;
      ctx.save();
      ctx.strokeStyle = alert;
      ctx.fillStyle = alert;
      ctx.lineWidth = 1.5 * px;
      ctx.setLineDash([4 * px, 3 * px]);
      ctx.font = `600 ${11 * px}px ${cssVar("--font")}`;
      for (const xValue of nonFinite) {
        const at = u.valToPos(xValue, "x", true);
        if (at < left || at > left + width) continue;
        ctx.beginPath();
        ctx.moveTo(at, top);
        ctx.lineTo(at, top + plotHeight);
        ctx.stroke();
        ctx.fillText("NaN/inf", Math.min(at + 3 * px, left + width - 48 * px), top + 12 * px);
      }
      ctx.restore();
    };

    /** What the chart shows, for tests and for anyone inspecting it. */
    const describe = (u: uPlot) => {
      const container = u.root.closest<HTMLElement>(".chart");
      if (!container) return;
      const summary = u.series.slice(1).map((s, i) => {
        const column = (u.data[i + 1] ?? []) as Value[];
        return {
          label: s.label,
          points: column.reduce<number>((n, v) => (v === null ? n : n + 1), 0),
          extent: finiteExtent(column),
          markers: markersShown.get(i + 1) ?? ["points", "flags"].includes(drawn[i]?.kind ?? ""),
        };
      });
      container.dataset.series = JSON.stringify(summary);
      container.dataset.yRange = JSON.stringify([u.scales.y?.min, u.scales.y?.max]);
      container.dataset.xRange = JSON.stringify([u.scales.x?.min, u.scales.x?.max]);
      container.dataset.nonfinite = JSON.stringify(nonFiniteXs(u));
      container.dataset.log = String(log);
    };

    let hovering = false;
    const showTooltip = (u: uPlot) => {
      const tooltip = tooltipRef.current;
      const idx = u.cursor.idx;
      const cursorLeft = u.cursor.left ?? -1;
      if (!tooltip) return;
      if (!hovering || idx === null || idx === undefined || cursorLeft < 0) {
        tooltip.hidden = true;
        return;
      }
      const rows = u.series.slice(1).flatMap((s, i) => {
        const line = drawn[i];
        if (!s.show || !line || line.raw || line.label === NON_FINITE_LABEL) return [];
        const value = nearestValue(u.data[0], u.data[i + 1] ?? [], idx);
        const raw = drawn[i - 1]?.raw ? nearestValue(u.data[0], u.data[i] ?? [], idx) : null;
        const text = value === null ? "—" : yFormat(value);
        return [{ color: typeof s.stroke === "string" ? s.stroke : "", label: line.label, text, raw }];
      });
      const xValue = u.data[0][idx] ?? 0;
      tooltip.replaceChildren();
      const head = document.createElement("div");
      head.className = "chart-tooltip-head";
      head.textContent = `${xAxis.label} ${xAxis.format(xValue)}`;
      tooltip.append(head);
      for (const row of rows) {
        const item = document.createElement("div");
        item.className = "chart-tooltip-row";
        const swatch = document.createElement("span");
        swatch.className = "chart-tooltip-swatch";
        swatch.style.background = row.color;
        const label = document.createElement("span");
        label.textContent = row.label;
        const value = document.createElement("span");
        value.className = "chart-tooltip-value";
        value.textContent = row.raw === null ? row.text : `${row.text} (raw ${yFormat(row.raw)})`;
        item.append(swatch, label, value);
        tooltip.append(item);
      }
      if (nonFiniteXs(u).includes(xValue)) {
        const warning = document.createElement("div");
        warning.className = "chart-tooltip-alert";
        warning.textContent = "a non-finite value (NaN/inf) was recorded here";
        tooltip.append(warning);
      }
      tooltip.hidden = false;
      const container = tooltip.parentElement;
      if (!container) return;
      const over = u.over.getBoundingClientRect();
      const box = container.getBoundingClientRect();
      const x = over.left - box.left + cursorLeft;
      const y = over.top - box.top + (u.cursor.top ?? 0);
      const room = box.width - tooltip.offsetWidth;
      const left = x + 14 + tooltip.offsetWidth <= box.width ? x + 14 : x - 14 - tooltip.offsetWidth;
      tooltip.style.left = `${String(Math.max(0, Math.min(left, room)))}px`;
      tooltip.style.top = `${String(Math.max(0, y - tooltip.offsetHeight - 10))}px`;
    };

    return {
      scales: {
        x: { time: false, range: (_u, min, max) => xRange([min, max], xAxis.halfWidth) },
        y: {
          // uPlot.Scale.Distr is an ambient const enum, which isolatedModules cannot read: 3 logarithmic, 1 linear.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
          distr: log ? 3 : 1,
          range: (u) => {
            const values = u.series.slice(1).flatMap((s, i) => (s.show ? [...((u.data[i + 1] ?? []) as Value[])] : []));
            return valueRange(finiteExtent(values, log), log);
          },
        },
      },
      cursor: { sync: { key: syncKey }, drag: { x: true, y: false } },
      legend: { live: false },
      axes: [chartAxis(xAxis.label, xAxis.format, 36), chartAxis(yLabel, yFormat, Y_AXIS_SIZE)],
      series: [{ label: xAxis.label }, ...series],
      hooks: {
        init: [
          (u) => {
            u.over.addEventListener("mouseenter", () => (hovering = true));
            u.over.addEventListener("mouseleave", () => {
              hovering = false;
              showTooltip(u);
            });
          },
        ],
        draw: [drawNonFinite, describe],
        setCursor: [showTooltip],
      },
    };
  }, [drawn, xAxis, yLabel, yFormat, log, syncKey]);

  return (
    <UPlotChart options={options} data={data} height={height} testId={testId}>
      <div ref={tooltipRef} className="chart-tooltip" hidden data-testid={`${testId}-tooltip`} />
      {data[0].length === 0 && emptyText ? <div className="chart-overlay">{emptyText}</div> : null}
    </UPlotChart>
  );
}
