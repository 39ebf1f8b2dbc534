/** A run's training loss at a glance: the list's downsampled series as a tiny line, its last value dotted. */
export function Sparkline({ values, width = 88, height = 24 }: { values: number[]; width?: number; height?: number }) {
  const first = values[0];
  const lastValue = values.at(-1);
  if (first === undefined || lastValue === undefined) return <span className="muted">—</span>;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = 2;
  // A flat series (or a lone point) sits in the middle rather than on an edge.
  const y = (value: number) =>
    max === min ? height / 2 : pad + ((max - value) / (max - min)) * (height - 2 * pad);
  const x = (index: number) => (values.length === 1 ? width / 2 : pad + (index / (values.length - 1)) * (width - 2 * pad));
  const points = values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
  const last = values.length - 1;
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`training loss from ${first.toFixed(3)} to ${lastValue.toFixed(3)}`}
      data-testid="run-sparkline"
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
      <circle cx={x(last)} cy={y(lastValue)} r="2" fill="currentColor" />
    </svg>
  );
}
