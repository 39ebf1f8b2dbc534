export function ProgressBar({ value, label, testId }: { value: number | null; label?: string; testId?: string }) {
  const pct = value === null ? null : Math.max(0, Math.min(100, value * 100));
  return (
    <div className="progress" data-testid={testId}>
      <div
        className={pct === null ? "progress-track progress-indeterminate" : "progress-track"}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct === null ? undefined : Math.round(pct)}
        aria-label={label}
      >
        <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
      </div>
      {label ? <div className="progress-label">{label}</div> : null}
    </div>
  );
}
