/** The one uPlot look: axes, fonts and colours from the design tokens (styles/tokens.css). */
import type uPlot from "uplot";

/** A token's value; uPlot draws on a canvas, which CSS cannot style. Read when a chart's options are built. */
export function cssVar(name: `--${string}`): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A canvas font in the app's font family, e.g. chartFont(11, 600). */
export function chartFont(sizePx: number, weight = 400): string {
  return `${weight} ${sizePx}px ${cssVar("--font")}`;
}

/** An axis with its label, ticks and grid in the chart colours; `size`: room for the tick labels, in px. */
export function chartAxis(label: string, format: (value: number) => string, size?: number): uPlot.Axis {
  return {
    label,
    labelFont: chartFont(11, 600),
    labelSize: 18,
    font: chartFont(11),
    stroke: cssVar("--chart-axis"),
    ...(size === undefined ? {} : { size }),
    grid: { stroke: cssVar("--chart-grid"), width: 1 },
    ticks: { stroke: cssVar("--chart-tick"), width: 1, size: 4 },
    values: (_u, splits) => splits.map((value) => format(value)),
  };
}
