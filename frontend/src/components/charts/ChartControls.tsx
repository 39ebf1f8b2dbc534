import type { ChartSettings, XMode } from "./useChartSettings";

const X_MODES: { value: XMode; label: string }[] = [
  { value: "step", label: "Step" },
  { value: "epoch", label: "Epoch" },
  { value: "time", label: "Time" },
];

/** Smoothing, x axis and log scale, as W&B places them above its panels. */
export function ChartControls({
  settings,
  onChange,
}: {
  settings: ChartSettings;
  onChange: (change: Partial<ChartSettings>) => void;
}) {
  return (
    <div className="chart-controls" data-testid="chart-controls">
      <label className="chart-control" title="Exponential moving average of the lines, debiased as in W&B; 0: off">
        <span className="muted">Smoothing</span>
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={settings.smoothing}
          data-testid="chart-smoothing"
          onChange={(event) => onChange({ smoothing: Number(event.target.value) })}
        />
        <span className="mono chart-control-value" data-testid="chart-smoothing-value">
          {settings.smoothing === 0 ? "off" : settings.smoothing.toFixed(2)}
        </span>
      </label>
      <div className="segmented" role="group" aria-label="x axis">
        {X_MODES.map((mode) => (
          <button
            key={mode.value}
            type="button"
            className={settings.xMode === mode.value ? "active" : undefined}
            aria-pressed={settings.xMode === mode.value}
            data-testid={`chart-x-${mode.value}`}
            onClick={() => onChange({ xMode: mode.value })}
          >
            {mode.label}
          </button>
        ))}
      </div>
      <label className="chart-control">
        <input
          type="checkbox"
          checked={settings.logScale}
          data-testid="chart-log"
          onChange={(event) => onChange({ logScale: event.target.checked })}
        />
        <span>Log scale (loss)</span>
      </label>
    </div>
  );
}
