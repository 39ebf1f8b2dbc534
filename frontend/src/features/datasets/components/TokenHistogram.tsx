import { useMemo } from "react";
import uPlot from "uplot";
import { UPlotChart, type ChartOptions } from "../../../components/charts/UPlotChart";
import { chartAxis, chartFont, cssVar } from "../../../components/charts/style";

const bars = uPlot.paths.bars?.({ size: [1, Infinity], gap: 1, align: 1 });

/** A dashed red line at max_seq_length, labelled: everything right of it is cut. */
function limitLine(limit: number): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const cut = cssVar("--chart-cut");
        const x = u.valToPos(limit, "x", true);
        const { top, height, left, width } = u.bbox;
        const ctx = u.ctx;
        const px = devicePixelRatio;
        const inView = x <= left + width;
        ctx.save();
        if (inView) {
          ctx.strokeStyle = cut;
          ctx.lineWidth = 1.5 * px;
          ctx.setLineDash([5 * px, 4 * px]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.setLineDash([]);
        }
        // The label on a white box, so a bar under it does not hide it. Far beyond the longest example it
        // points right instead of squeezing the bars.
        ctx.font = chartFont(11 * px, 600);
        const text = inView ? `max_seq_length ${limit}` : `max_seq_length ${limit} →`;
        const textWidth = ctx.measureText(text).width;
        const pad = 4 * px;
        const anchor = inView ? x : left + width;
        const toRight = inView && anchor + pad + textWidth + pad < left + width;
        const boxLeft = toRight ? anchor + pad / 2 : anchor - textWidth - pad * 1.5;
        ctx.fillStyle = cssVar("--chart-label-box");
        ctx.fillRect(boxLeft, top + px, textWidth + pad, 16 * px);
        ctx.fillStyle = inView ? cut : cssVar("--muted");
        ctx.textAlign = "left";
        ctx.fillText(text, boxLeft + pad / 2, top + 13 * px);
        ctx.restore();
      },
    },
  };
}

/**
 * Token lengths as bars (bin edges from the API); bins past max_seq_length are red, and a dashed line marks
 * the limit itself, so "how much would be cut" reads at a glance.
 */
export function TokenHistogram({
  edges,
  counts,
  maxSeqLength,
}: {
  edges: number[];
  counts: number[];
  maxSeqLength: number;
}) {
  const options = useMemo<ChartOptions>(() => {
    const fits = cssVar("--chart-bar");
    const cut = cssVar("--chart-cut");
    return {
      scales: {
        x: {
          time: false,
          // From 0 to past the last bin, and to the limit line when it is near enough to show without
          // squeezing the bars (else the plugin points to it).
          range: () => {
            const last = edges.at(-1) ?? 1;
            const high = (maxSeqLength <= last * 2.5 ? Math.max(last, maxSeqLength) : last) * 1.06;
            // Start at 0 unless that would squeeze every bar into the right edge (bins start at 0, most empty).
            const firstUsed = edges[Math.max(0, counts.findIndex((n) => n > 0))] ?? 0;
            const binWidth = (edges[1] ?? 1) - (edges[0] ?? 0);
            const low = firstUsed > high * 0.5 ? Math.max(0, firstUsed - 2 * binWidth) : 0;
            return [low, high];
          },
        },
        // Headroom above the tallest bar for the limit label.
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.25)] },
      },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { show: false },
      axes: [
        chartAxis("tokens per example", (v) => (Number.isInteger(v) ? v.toLocaleString() : "")),
        chartAxis("examples", (v) => (Number.isInteger(v) ? v.toLocaleString() : "")),
      ],
      series: [
        {},
        { label: "fits", fill: fits, stroke: fits, width: 0, paths: bars, points: { show: false } },
        { label: "truncated", fill: cut, stroke: cut, width: 0, paths: bars, points: { show: false } },
      ],
      plugins: [limitLine(maxSeqLength)],
    };
  }, [edges, counts, maxSeqLength]);

  const data = useMemo<uPlot.AlignedData>(() => {
    const x = edges.slice(0, counts.length);
    const fits: (number | null)[] = [];
    const cut: (number | null)[] = [];
    counts.forEach((count, index) => {
      const low = edges[index] ?? 0;
      const high = edges[index + 1] ?? low;
      // A bin is "cut" when most of it lies past the limit.
      const beyond = (low + high) / 2 > maxSeqLength;
      fits.push(beyond ? null : count);
      cut.push(beyond ? count : null);
    });
    return [x, fits, cut];
  }, [edges, counts, maxSeqLength]);

  return <UPlotChart options={options} data={data} height={220} testId="token-histogram" />;
}
